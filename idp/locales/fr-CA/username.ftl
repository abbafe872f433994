# « Nom d'utilisateur oublié? »
login-forgot-username = Nom d'utilisateur oublié?
username-forgot-title = Nom d'utilisateur oublié
username-forgot-intro = Inscrivez l'adresse courriel confirmée de votre compte : nous vous y enverrons votre nom d'utilisateur.
username-forgot-email = Adresse courriel
username-forgot-email-hint = L'adresse que vous avez confirmée dans les paramètres de votre compte.
username-forgot-send = Envoyer mon nom d'utilisateur
username-forgot-error-missing = Inscrivez votre adresse courriel.
username-forgot-error-malformed = Cette adresse courriel n'est pas valide. Vérifiez-la, par exemple : nom@exemple.ca.
username-sent-title = Consultez vos courriels
username-sent-body = Si un compte a confirmé l'adresse { $email }, son nom d'utilisateur vient d'y être envoyé.
username-sent-next = Rien reçu d'ici quelques minutes? Vérifiez vos courriels indésirables, ou communiquez avec le centre d'assistance.
