recovery-title = Forgot your password?
recovery-intro = Enter your username. You will then answer { $asked } of your secret questions and choose a new password.
recovery-username = Username
recovery-username-hint = Your username starts with IP or CE, or is the e-mail address you chose.
recovery-continue = Continue
recovery-back-to-login = Back to the sign-in page
recovery-error-missing = Enter your username.
recovery-error-malformed = This username is not valid. Check it and enter it again.
recovery-unavailable = Your password cannot be changed online. This is the case, among others, if you have not chosen { $required ->
        [one] your secret question
       *[other] your { $required } secret questions
    }.
recovery-unavailable-call = Contact the professionals' assistance centre to obtain a temporary password. After changing that password, you will be taken to the Secret questions page.
recovery-centres = Professionals' assistance centre
recovery-other-name = Try another username
recovery-closed = At least one answer is incorrect. The maximum number of attempts has been reached: changing the password online is now blocked for this account.
recovery-email-title = Check your e-mail
recovery-email-sent = If this username belongs to an account with a confirmed e-mail address, an e-mail with a link was just sent to that address. Follow the link to answer your secret questions. If nothing arrives, contact the professionals' assistance centre.
recovery-email-validity = The link is valid for { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    } and works only once. If nothing arrives, check your junk mail folder.
recovery-done-title = Password changed
recovery-done = Your password has been changed. You can now sign in with your new password.
recovery-done-sessions = For your security, all your open sessions have been ended.
recovery-done-login = Sign in to online services
recovery-expired-title = Request expired
recovery-expired = Your password change request has expired or is no longer valid. Please start over.
recovery-restart = Start "Forgot your password?" again
recovery-link-title = Continue your request
recovery-link-continue = You asked to replace the forgotten password of your account. Select "Continue" to go on to your secret questions.
recovery-link-invalid-title = Invalid link
recovery-link-invalid = This link is no longer valid: it was already used, it expired, or it is incomplete. Start over to receive a new one.
recovery-questions-title = Secret questions
recovery-questions-intro = { $asked ->
        [one] Answer the following secret question.
       *[other] Answer the following { $asked } secret questions.
    } Capital letters, accents and extra spaces do not matter.
recovery-questions-limit = After { $max ->
        [one] { $max } unsuccessful attempt
       *[other] { $max } unsuccessful attempts
    }, changing the password online will be blocked and you will have to contact the professionals' assistance centre.
recovery-questions-wrong = At least one answer is incorrect. Check your answers and try again.
recovery-questions-missing = Question { $n }: enter an answer.
recovery-questions-label = Question { $n }: { $question }
recovery-questions-submit = Check my answers
recovery-password-title = New password
recovery-password-intro = Your answers are correct. Choose your new password. All your open sessions will be ended; you will then sign in with this new password.
recovery-hours = Hours of service: { $hours }
recovery-phone-region = { $region }:
