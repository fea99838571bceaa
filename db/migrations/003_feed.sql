-- The live feed the history UI streams (Server-Sent Events, resumed with Last-Event-ID): one row
-- per recorded event, numbered in the order the recordings committed. record-hop takes a
-- transaction-level advisory lock just before its feed row, so `seq` is handed out in commit
-- order: a reader that has seen everything up to N and reads `seq > N` misses nothing and
-- repeats nothing. A rolled-back recording leaves a gap in the numbers, never a late arrival.

-- Up Migration

CREATE TABLE feed (
  seq     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tbl     text        NOT NULL,
  type    text        NOT NULL,
  source  text        NOT NULL,
  id      text        NOT NULL,
  ball_id text,
  at      timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT ON feed TO pingpong_history_write;
GRANT SELECT ON feed TO pingpong_history_read;

-- Down Migration

DROP TABLE feed;
