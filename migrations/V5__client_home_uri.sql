-- Where the online-services home page sends a user to open a relying party (its "home URL",
-- `client_uri` in RFC 7591 §2). A client without one is not listed there: a service a user
-- can open, not every registration.
ALTER TABLE clients ADD COLUMN home_uri text;

-- Registrations made before kept their place on the home page: the origin of their first
-- redirect URI, which is what the page used to link to.
UPDATE clients
   SET home_uri = substring(redirect_uris[1] from '^(https?://[^/?#]+)')
 WHERE 'authorization_code' = ANY (grant_types) AND cardinality(redirect_uris) > 0;
