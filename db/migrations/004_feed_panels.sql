-- The history UI's panels page through one kind of recording at a time, newest first, by feed
-- position (`before=<seq>`): an index per table keeps a rare kind (coin flips, dead letters) from
-- scanning every hop. A dead letter's feed row also names its destination: the same event may be
-- dead-lettered at several subscribers, and each is its own row in dead_letter.

-- Up Migration

CREATE INDEX feed_tbl_seq ON feed (tbl, seq DESC);
ALTER TABLE feed ADD COLUMN dest text;

-- Down Migration

ALTER TABLE feed DROP COLUMN dest;
DROP INDEX feed_tbl_seq;
