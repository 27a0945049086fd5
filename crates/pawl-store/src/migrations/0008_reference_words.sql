-- References (R-0041, A-0007) become one word in the full-text index as
-- well as their two parts, so that searching for one reads that word's
-- few entries, not those of a letter every record's reference starts with.
-- The index is emptied here and filled again from the registers.
DELETE FROM record_search;
