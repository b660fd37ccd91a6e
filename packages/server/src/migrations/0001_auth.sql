-- Users, sessions (refresh-token families), refresh tokens, API keys and server settings.
-- Secrets are never stored in the clear: refresh tokens and API keys as SHA-256, passwords as argon2id.
CREATE TABLE {{schema}}.users (
  id uuid PRIMARY KEY,
  email text NOT NULL UNIQUE CHECK (email = lower(email)),
  name text,
  password_hash text NOT NULL,
  role text NOT NULL DEFAULT 'member' CHECK (role IN ('admin','member')),
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);

-- One session per login: the family of every refresh token rotated from it. Revoking it ends the session
-- (its access tokens carry the session id and stop working too).
CREATE TABLE {{schema}}.auth_sessions (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES {{schema}}.users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text
);
CREATE INDEX auth_sessions_user_idx ON {{schema}}.auth_sessions (user_id);

CREATE TABLE {{schema}}.refresh_tokens (
  id uuid PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  family_id uuid NOT NULL REFERENCES {{schema}}.auth_sessions (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES {{schema}}.users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  replaced_by uuid
);
CREATE INDEX refresh_tokens_family_idx ON {{schema}}.refresh_tokens (family_id);

CREATE TABLE {{schema}}.api_keys (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  scopes text[] NOT NULL,
  owner_id uuid NOT NULL REFERENCES {{schema}}.users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  expires_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_owner_idx ON {{schema}}.api_keys (owner_id);

-- Server-wide settings and generated secrets (the JWT signing secret when none is configured).
CREATE TABLE {{schema}}.server_settings (
  key text PRIMARY KEY,
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
