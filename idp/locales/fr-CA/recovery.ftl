recovery-title = Mot de passe oublié?
recovery-intro = Entrez votre nom d'utilisateur. Vous devrez ensuite répondre à { $asked } de vos questions secrètes, puis choisir un nouveau mot de passe.
recovery-username = Nom d'utilisateur
recovery-username-hint = Votre nom d'utilisateur débute par IP ou CE, ou est l'adresse courriel que vous avez choisie.
recovery-continue = Continuer
recovery-back-to-login = Retour à la page de connexion
recovery-error-missing = Entrez votre nom d'utilisateur.
recovery-error-malformed = Ce nom d'utilisateur n'est pas valide. Vérifiez-le et entrez-le de nouveau.
recovery-unavailable = Votre mot de passe ne peut pas être changé en ligne. C'est le cas, entre autres, si vous n'avez pas choisi { $required ->
        [one] votre question secrète
       *[other] vos { $required } questions secrètes
    }.
recovery-unavailable-call = Communiquez avec le Centre d'assistance aux professionnels pour obtenir un mot de passe temporaire. Après le changement de ce mot de passe, vous serez dirigé vers la page Questions secrètes.
recovery-centres = Centre d'assistance aux professionnels
recovery-other-name = Essayer avec un autre nom d'utilisateur
recovery-closed = Au moins une réponse est incorrecte. Le nombre maximal d'essais est atteint : le changement de mot de passe en ligne est maintenant bloqué pour ce compte.
recovery-email-title = Consultez vos courriels
recovery-email-sent = Si ce nom d'utilisateur correspond à un compte dont l'adresse courriel est confirmée, un courriel contenant un lien vient d'être envoyé à cette adresse. Suivez ce lien pour répondre à vos questions secrètes. Si rien n'arrive, communiquez avec le Centre d'assistance aux professionnels.
recovery-email-validity = Le lien est valide pendant { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    } et ne peut servir qu'une seule fois. Si vous ne recevez rien, vérifiez votre dossier de courriels indésirables.
recovery-done-title = Mot de passe changé
recovery-done = Votre mot de passe a été changé. Vous pouvez maintenant vous connecter avec votre nouveau mot de passe.
recovery-done-sessions = Pour votre sécurité, toutes vos sessions ouvertes ont été fermées.
recovery-done-login = Se connecter aux services en ligne
recovery-expired-title = Démarche expirée
recovery-expired = Votre démarche de changement de mot de passe a expiré ou n'est plus valide. Recommencez-la depuis le début.
recovery-restart = Recommencer la démarche « Mot de passe oublié? »
recovery-link-title = Poursuivre votre demande
recovery-link-continue = Vous avez demandé à remplacer le mot de passe oublié de votre compte. Sélectionnez « Continuer » pour répondre ensuite à vos questions secrètes.
recovery-link-invalid-title = Lien non valide
recovery-link-invalid = Ce lien n'est plus valide : il a déjà été utilisé, il a expiré ou il est incomplet. Recommencez la démarche pour en recevoir un nouveau.
recovery-questions-title = Questions secrètes
recovery-questions-intro = { $asked ->
        [one] Répondez à la question secrète suivante.
       *[other] Répondez aux { $asked } questions secrètes suivantes.
    } Les majuscules, les accents et les espaces en trop ne sont pas pris en compte.
recovery-questions-limit = Après { $max ->
        [one] { $max } essai infructueux
       *[other] { $max } essais infructueux
    }, le changement de mot de passe en ligne sera bloqué et vous devrez communiquer avec le Centre d'assistance aux professionnels.
recovery-questions-wrong = Au moins une réponse est incorrecte. Vérifiez vos réponses et essayez de nouveau.
recovery-questions-missing = Question { $n } : entrez une réponse.
recovery-questions-label = Question { $n } : { $question }
recovery-questions-submit = Valider mes réponses
recovery-password-title = Nouveau mot de passe
recovery-password-intro = Vos réponses sont exactes. Choisissez votre nouveau mot de passe. Toutes vos sessions ouvertes seront fermées; vous vous connecterez ensuite avec ce nouveau mot de passe.
recovery-hours = Heures de service : { $hours }
recovery-phone-region = { $region } :
