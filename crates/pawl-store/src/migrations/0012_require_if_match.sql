-- An organisation may require every change through the API to name the
-- version it read (If-Match), so that no client overwrites unseen work.
ALTER TABLE organisations ADD COLUMN require_if_match BIGINT NOT NULL DEFAULT 0;
