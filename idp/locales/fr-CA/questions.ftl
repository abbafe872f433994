questions-title = Questions secrètes
questions-intro-required = Avant de continuer, { $n ->
        [one] choisissez une question secrète et répondez-y. Elle vous permettra
       *[other] choisissez { $n } questions secrètes différentes et répondez-y. Elles vous permettront
    } de changer votre mot de passe oublié en tout temps, sans appeler la Régie.
questions-intro-settings = { $n ->
        [one] Choisissez une question secrète et répondez-y. Votre nouvelle réponse remplacera l'ancienne.
       *[other] Choisissez { $n } questions secrètes différentes et répondez-y. Vos nouvelles réponses remplaceront les anciennes.
    } Entrez d'abord votre mot de passe actuel.
questions-row = Question { $n }
questions-question = Question
questions-choose = Choisissez une question
questions-answer = Réponse
questions-submit = Enregistrer mes questions secrètes
questions-error-pick = Question { $n } : choisissez une question dans la liste.
questions-error-duplicate = Question { $n } : cette question est déjà choisie; choisissez-en une autre.
questions-error-missing = Réponse { $n } : entrez une réponse.
questions-error-too-short = Réponse { $n } : la réponse doit compter au moins { $min ->
        [one] { $min } caractère
       *[other] { $min } caractères
    }.
questions-error-too-long = Réponse { $n } : la réponse doit compter au plus 80 caractères.
questions-error-personal = Réponse { $n } : la réponse ne doit pas être votre nom d'utilisateur, votre nom ni votre adresse courriel.
questions-error-one-character = Réponse { $n } : une réponse faite d'un seul caractère répété, ou sans lettre ni chiffre, est trop facile à deviner.
questions-error-sequence = Réponse { $n } : une suite simple (comme 123, abc ou qwerty) est trop facile à deviner.
questions-error-common = Réponse { $n } : cette réponse est parmi les plus courantes (comme « oui », « aucun » ou « inconnu »); choisissez-en une que vous seul connaissez.
questions-error-question-words = Réponse { $n } : la réponse ne doit pas reprendre les mots de la question.
questions-error-password = Réponse { $n } : la réponse ne doit pas être votre mot de passe.
questions-error-repeated = Réponse { $n } : chaque réponse doit être différente des autres.
