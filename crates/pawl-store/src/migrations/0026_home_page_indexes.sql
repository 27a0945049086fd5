-- A person's own work without reading the register (issue 26): the risks
-- they own that are still open, in review-date order. The home page counts
-- them, and those past their date, from this index alone, and the my-work
-- list reads only the first it shows; a risk owner with 10,000 of a
-- 100,000-risk register took 70 ms to list. It replaces the owner index,
-- which served my-work alone; closed risks are no one's work.
DROP INDEX risks_org_owner;
CREATE INDEX risks_org_owner_open ON risks (org_id, owner_user_id, review_sort)
    WHERE deleted_at IS NULL AND status <> 'closed';
