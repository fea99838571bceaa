-- The history record-hop writes and the history UI reads (DESIGN §3). Every row points back to the
-- CloudEvent that caused it, and each (source, id) is stored once (STYLE §7): delivery is
-- at-least-once, so a redelivered event finds its key taken and changes nothing.

-- Up Migration

-- One row per CloudEvent stored: the idempotency key of everything below.
CREATE TABLE event (
  source      text        NOT NULL,
  id          text        NOT NULL,
  type        text        NOT NULL,
  time        timestamptz,
  received_at timestamptz NOT NULL DEFAULT now(),
  data        jsonb,
  PRIMARY KEY (source, id)
);
CREATE INDEX event_received_at ON event (received_at DESC);
CREATE INDEX event_type ON event (type, received_at DESC);

-- One row per ball. It is served, then lands or drops once: the upsert that records an ending
-- only applies while status = 'served', so a second landed/dropped changes nothing.
CREATE TABLE ball (
  id         text        PRIMARY KEY,
  target     text        NOT NULL,
  max_hops   integer     NOT NULL CHECK (max_hops >= 1),
  served_at  timestamptz NOT NULL,
  status     text        NOT NULL DEFAULT 'served' CHECK (status IN ('served', 'landed', 'dropped')),
  -- The highest hop seen; the final one once the ball has ended.
  hops       integer     NOT NULL DEFAULT 0 CHECK (hops >= 0),
  path       text[]      NOT NULL DEFAULT '{}',
  landed_by  text,
  reason     text,
  ended_at   timestamptz,
  CHECK ((status = 'served') = (ended_at IS NULL)),
  CHECK (status <> 'landed' OR landed_by IS NOT NULL),
  CHECK (status <> 'dropped' OR reason IS NOT NULL)
);
CREATE INDEX ball_served_at ON ball (served_at DESC);

-- One row per throw (ball.thrown): hop 0 comes from the ball factory, hop n from the worker
-- that threw it, which is the last pod on its path.
CREATE TABLE hop (
  ball_id      text        NOT NULL REFERENCES ball (id),
  hop          integer     NOT NULL CHECK (hop >= 0),
  from_pod     text,
  target       text        NOT NULL,
  path         text[]      NOT NULL,
  at           timestamptz NOT NULL,
  event_source text        NOT NULL,
  event_id     text        NOT NULL,
  PRIMARY KEY (ball_id, hop),
  FOREIGN KEY (event_source, event_id) REFERENCES event (source, id)
);

-- dev.pingpong.workers.scaled: the worker count changed (a new revision of the forward Service).
CREATE TABLE scale_change (
  event_source text        NOT NULL,
  event_id     text        NOT NULL,
  service      text        NOT NULL,
  from_scale   integer     NOT NULL,
  to_scale     integer     NOT NULL,
  revision     text        NOT NULL,
  reason       text        NOT NULL,
  at           timestamptz NOT NULL,
  PRIMARY KEY (event_source, event_id),
  FOREIGN KEY (event_source, event_id) REFERENCES event (source, id)
);
CREATE INDEX scale_change_at ON scale_change (at DESC);

-- Pod births, updates and deaths, from ApiServerSource events whose data is a v1 Pod.
CREATE TABLE pod_event (
  event_source text        NOT NULL,
  event_id     text        NOT NULL,
  kind         text        NOT NULL CHECK (kind IN ('born', 'updated', 'died')),
  name         text        NOT NULL,
  namespace    text,
  ip           text,
  port         integer,
  phase        text,
  revision     text,
  at           timestamptz NOT NULL,
  PRIMARY KEY (event_source, event_id),
  FOREIGN KEY (event_source, event_id) REFERENCES event (source, id)
);
CREATE INDEX pod_event_at ON pod_event (at DESC);
CREATE INDEX pod_event_name ON pod_event (name, at DESC);

-- dev.pingpong.pods.listed: the live worker pods at one moment.
CREATE TABLE pod_snapshot (
  event_source text        NOT NULL,
  event_id     text        NOT NULL,
  service      text        NOT NULL,
  cause        text        NOT NULL,
  pods         jsonb       NOT NULL,
  pod_count    integer     NOT NULL,
  at           timestamptz NOT NULL,
  PRIMARY KEY (event_source, event_id),
  FOREIGN KEY (event_source, event_id) REFERENCES event (source, id)
);
CREATE INDEX pod_snapshot_at ON pod_snapshot (at DESC);

-- dev.pingpong.peer.ponged: one worker pinged another.
CREATE TABLE pong (
  event_source text             NOT NULL,
  event_id     text             NOT NULL,
  from_pod     text             NOT NULL,
  to_pod       text             NOT NULL,
  address      text             NOT NULL,
  ms           double precision NOT NULL,
  ok           boolean          NOT NULL,
  at           timestamptz      NOT NULL,
  PRIMARY KEY (event_source, event_id),
  FOREIGN KEY (event_source, event_id) REFERENCES event (source, id)
);
CREATE INDEX pong_at ON pong (at DESC);

-- dev.pingpong.coin.flipped. numeric: total_flips can pass 2^53 for large N.
CREATE TABLE coin_flip (
  event_source   text        NOT NULL,
  event_id       text        NOT NULL,
  heads_required integer     NOT NULL,
  total_flips    numeric     NOT NULL,
  at             timestamptz NOT NULL,
  PRIMARY KEY (event_source, event_id),
  FOREIGN KEY (event_source, event_id) REFERENCES event (source, id)
);
CREATE INDEX coin_flip_at ON coin_flip (at DESC);

-- Events the Broker gave up on, delivered by its dead-letter sink: the original event plus
-- Knative's knativeerror* extensions. Keyed on the destination too, and apart from `event`,
-- because the same event may also have been recorded normally, or fail at several subscribers.
CREATE TABLE dead_letter (
  source      text        NOT NULL,
  id          text        NOT NULL,
  dest        text        NOT NULL DEFAULT '',
  type        text        NOT NULL,
  code        integer,
  -- knativeerrordata decoded from base64: the failed destination's response body.
  error_data  text,
  time        timestamptz,
  data        jsonb,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, id, dest)
);
CREATE INDEX dead_letter_received_at ON dead_letter (received_at DESC);

-- Down Migration

DROP TABLE dead_letter;
DROP TABLE coin_flip;
DROP TABLE pong;
DROP TABLE pod_snapshot;
DROP TABLE pod_event;
DROP TABLE scale_change;
DROP TABLE hop;
DROP TABLE ball;
DROP TABLE event;
