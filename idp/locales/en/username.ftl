# "Forgot your username?"
login-forgot-username = Forgot your username?
username-forgot-title = Forgotten username
username-forgot-intro = Enter your account's confirmed e-mail address: we will send your username there.
username-forgot-email = E-mail address
username-forgot-email-hint = The address you confirmed in your account settings.
username-forgot-send = Send my username
username-forgot-error-missing = Enter your e-mail address.
username-forgot-error-malformed = This e-mail address is not valid. Check it, for example: name@example.ca.
username-sent-title = Check your e-mail
username-sent-body = If an account confirmed the address { $email }, its username was just sent there.
username-sent-next = Nothing within a few minutes? Check your junk mail, or call the assistance centre.
