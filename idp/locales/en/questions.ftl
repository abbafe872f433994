questions-title = Secret questions
questions-intro-required = Before you continue, { $n ->
        [one] choose a secret question and answer it. It lets
       *[other] choose { $n } different secret questions and answer them. They let
    } you change a forgotten password at any time, without calling the Régie.
questions-intro-settings = { $n ->
        [one] Choose a secret question and answer it. Your new answer replaces the old one.
       *[other] Choose { $n } different secret questions and answer them. Your new answers replace the old ones.
    } Enter your current password first.
questions-row = Question { $n }
questions-question = Question
questions-choose = Choose a question
questions-answer = Answer
questions-submit = Save my secret questions
questions-error-pick = Question { $n }: choose a question from the list.
questions-error-duplicate = Question { $n }: this question is already chosen; choose another one.
questions-error-missing = Answer { $n }: enter an answer.
questions-error-too-short = Answer { $n }: the answer must be at least { $min ->
        [one] { $min } character
       *[other] { $min } characters
    }.
questions-error-too-long = Answer { $n }: the answer must be at most 80 characters.
questions-error-personal = Answer { $n }: the answer must not be your username, your name or your e-mail address.
questions-error-one-character = Answer { $n }: an answer made of one repeated character, or without any letter or digit, is too easy to guess.
questions-error-sequence = Answer { $n }: a simple sequence (such as 123, abc or qwerty) is too easy to guess.
questions-error-common = Answer { $n }: this is one of the most common answers (such as "yes", "none" or "unknown"); choose one only you know.
questions-error-question-words = Answer { $n }: the answer must not repeat the words of the question.
questions-error-password = Answer { $n }: the answer must not be your password.
questions-error-repeated = Answer { $n }: each answer must differ from the others.
