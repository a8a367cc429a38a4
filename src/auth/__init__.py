"""Identity: providers (Supabase Auth, local), tokens, passwords and the signed-in principal."""
