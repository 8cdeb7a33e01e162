-- Respondent channels: QR links attribute answers to a unit and location,
-- and request limits are shared by every worker.

ALTER TABLE response ADD COLUMN link_id bigint REFERENCES survey_link;

-- Fixed-window request counters (per kiosk device, per link, per survey).
-- UNLOGGED: losing them in a crash only resets the windows.
CREATE UNLOGGED TABLE rate_window (
    bucket        text NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
