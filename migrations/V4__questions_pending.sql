-- Issue 3, review: a user sent to the Questions secrètes page by an expired or temporary
-- password must answer them before any session opens, even if they left after choosing the
-- new password. Set when the restricted state asks for the questions, cleared when they are
-- saved; a login with it set enters the restricted state at the questions.
ALTER TABLE password_credentials
    ADD COLUMN questions_pending boolean NOT NULL DEFAULT false;
