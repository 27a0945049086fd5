-- The daily reminder run (issue 27): one row an organisation a day, taken in
-- the transaction that writes that day's reminders, so that two servers, or
-- a server started twice, remind once.
CREATE TABLE reminder_runs (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    day TEXT NOT NULL,
    ran_at TEXT NOT NULL,
    PRIMARY KEY (org_id, day)
);
