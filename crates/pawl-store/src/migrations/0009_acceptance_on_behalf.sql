-- An ISMS manager or administrator may accept a risk for an owner whose
-- role the risk method does not allow to accept its level (6.1.3 f): the
-- owner they acted for, as named on the risk at the time.
ALTER TABLE risk_acceptances ADD COLUMN on_behalf_of TEXT;
