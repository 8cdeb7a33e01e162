-- The data model of the whole product.
--
-- Organisations (urzędy) own units, service types, surveys and responses.
-- Questionnaires have immutable published versions; a version's items carry
-- the scale metadata that SQL needs to aggregate (points, top and bottom box,
-- the "nie dotyczy" code). Responses are append-only facts with an hour-level
-- timestamp and no IP address, user agent or person; answers are stored
-- narrow (one row per answered value) so counts are a plain GROUP BY.
-- answer_count is the count table reports read; it is kept current from
-- count_pending by survey.reports.counts.refresh_counts().

CREATE TABLE organisation (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Wydziały, referaty, locations and teams form a tree inside one organisation.
CREATE TABLE unit (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  bigint NOT NULL REFERENCES organisation ON DELETE CASCADE,
    parent_id        bigint REFERENCES unit ON DELETE CASCADE,
    slug             text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind             text NOT NULL DEFAULT 'department'
                     CHECK (kind IN ('department', 'section', 'location', 'team')),
    headcount        integer CHECK (headcount >= 0),
    UNIQUE (organisation_id, slug)
);

-- Rodzaje spraw: dowód osobisty, meldunek, podatki ...
CREATE TABLE service_type (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  bigint NOT NULL REFERENCES organisation ON DELETE CASCADE,
    code             text NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    UNIQUE (organisation_id, code)
);

-- A questionnaire is identified by its slug; organisation_id NULL means it is
-- part of the shared library every office can use.
CREATE TABLE questionnaire (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  bigint REFERENCES organisation ON DELETE CASCADE,
    slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    audience         text NOT NULL CHECK (audience IN ('resident', 'employee')),
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE questionnaire_version (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    questionnaire_id  bigint NOT NULL REFERENCES questionnaire ON DELETE CASCADE,
    version           integer NOT NULL CHECK (version >= 1),
    status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'retired')),
    definition        jsonb NOT NULL,
    checksum          text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    published_at      timestamptz,
    UNIQUE (questionnaire_id, version),
    CHECK ((status = 'draft') = (published_at IS NULL))
);

-- Items of a version. Texts in every language live in the version's
-- definition; these columns are what aggregation needs.
CREATE TABLE item (
    id                        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    questionnaire_version_id  bigint NOT NULL REFERENCES questionnaire_version ON DELETE CASCADE,
    position                  integer NOT NULL,
    code                      text NOT NULL,
    kind                      text NOT NULL CHECK (kind IN (
                                  'rating', 'smiley', 'nps', 'single_choice',
                                  'multiple_choice', 'text', 'service_type')),
    scale_min                 smallint,
    scale_max                 smallint,
    top_codes                 smallint[] NOT NULL DEFAULT '{}',
    bottom_codes              smallint[] NOT NULL DEFAULT '{}',
    not_applicable_code       smallint,
    required                  boolean NOT NULL DEFAULT false,
    UNIQUE (questionnaire_version_id, code),
    UNIQUE (questionnaire_version_id, position)
);

-- A published, frozen version may not change: not its definition, not its items.
CREATE FUNCTION forbid_published_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'questionnaire_version' THEN
        IF OLD.status <> 'draft' AND (NEW.definition IS DISTINCT FROM OLD.definition
                                      OR NEW.checksum IS DISTINCT FROM OLD.checksum
                                      OR NEW.version IS DISTINCT FROM OLD.version) THEN
            RAISE EXCEPTION 'questionnaire version % is published and frozen', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM questionnaire_version v
               WHERE v.id = COALESCE(NEW.questionnaire_version_id, OLD.questionnaire_version_id)
                 AND v.status <> 'draft') THEN
        RAISE EXCEPTION 'items of a published questionnaire version are frozen'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN COALESCE(NEW, OLD);
END $$;

CREATE TRIGGER questionnaire_version_frozen BEFORE UPDATE ON questionnaire_version
    FOR EACH ROW EXECUTE FUNCTION forbid_published_change();
CREATE TRIGGER item_frozen BEFORE INSERT OR UPDATE OR DELETE ON item
    FOR EACH ROW EXECUTE FUNCTION forbid_published_change();

-- A survey publishes a questionnaire for one organisation under a public slug
-- (/s/<slug>). Responses always record the exact version they answered.
CREATE TABLE survey (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id   bigint NOT NULL REFERENCES organisation ON DELETE CASCADE,
    questionnaire_id  bigint NOT NULL REFERENCES questionnaire,
    slug              text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    unit_id           bigint REFERENCES unit,
    is_open           boolean NOT NULL DEFAULT true,
    opens_on          date,
    closes_on         date,
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- Short links and QR posters: each carries the unit and location it stands at.
CREATE TABLE survey_link (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    survey_id  bigint NOT NULL REFERENCES survey ON DELETE CASCADE,
    code       text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9]{4,32}$'),
    unit_id    bigint REFERENCES unit,
    location   text CHECK (length(location) <= 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Kiosk tablets: the device holds a token (only its hash is stored here).
CREATE TABLE kiosk (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  bigint NOT NULL REFERENCES organisation ON DELETE CASCADE,
    survey_id        bigint NOT NULL REFERENCES survey,
    unit_id          bigint REFERENCES unit,
    location         text NOT NULL CHECK (length(location) BETWEEN 1 AND 200),
    token_hash       bytea UNIQUE,
    enrolment_hash   bytea UNIQUE,
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- One-time staff codes gate participation only. Nothing here refers to a
-- response and nothing records when a code was used.
CREATE TABLE staff_wave (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    survey_id   bigint NOT NULL REFERENCES survey ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    opens_on    date,
    closes_on   date
);

CREATE TABLE staff_code (
    wave_id     bigint NOT NULL REFERENCES staff_wave ON DELETE CASCADE,
    code_hash   bytea NOT NULL,
    unit_id     bigint REFERENCES unit,
    used        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (wave_id, code_hash)
);

-- A response is a fact: append-only, hour-level time, no IP, no user agent.
CREATE TABLE response (
    id                        bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    organisation_id           bigint NOT NULL REFERENCES organisation,
    survey_id                 bigint NOT NULL REFERENCES survey,
    questionnaire_version_id  bigint NOT NULL REFERENCES questionnaire_version,
    unit_id                   bigint REFERENCES unit,
    service_type_id           bigint REFERENCES service_type,
    channel                   text NOT NULL CHECK (channel IN ('web', 'qr', 'kiosk', 'paper', 'staff')),
    device                    text NOT NULL CHECK (device IN ('desktop', 'mobile', 'tablet', 'kiosk', 'paper', 'unknown')),
    kiosk_id                  bigint REFERENCES kiosk,
    language                  text NOT NULL CHECK (language ~ '^[a-z]{2}$'),
    submitted_hour            timestamptz NOT NULL CHECK (submitted_hour = date_trunc('hour', submitted_hour)),
    idempotency_key           uuid NOT NULL UNIQUE,
    flagged                   boolean NOT NULL DEFAULT false,
    flag_reason               text CHECK (flag_reason IN ('repeat_taps'))
);

CREATE INDEX response_survey_time ON response (survey_id, submitted_hour);
CREATE INDEX response_organisation_time ON response (organisation_id, submitted_hour);

-- One row per answered value: a rating, a choice (several for multiple
-- choice), or the "nie dotyczy / brak opinii" code.
CREATE TABLE answer (
    response_id  bigint NOT NULL REFERENCES response ON DELETE CASCADE,
    item_id      bigint NOT NULL REFERENCES item,
    value        smallint NOT NULL,
    PRIMARY KEY (response_id, item_id, value)
);

CREATE TABLE answer_text (
    response_id  bigint NOT NULL REFERENCES response ON DELETE CASCADE,
    item_id      bigint NOT NULL REFERENCES item,
    body         text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    PRIMARY KEY (response_id, item_id)
);

-- Responses are append-only facts.
CREATE FUNCTION forbid_response_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.flagged IS DISTINCT FROM OLD.flagged
       AND (NEW.id, NEW.organisation_id, NEW.survey_id, NEW.questionnaire_version_id,
            NEW.unit_id, NEW.service_type_id, NEW.channel, NEW.submitted_hour, NEW.idempotency_key)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.organisation_id, OLD.survey_id, OLD.questionnaire_version_id,
            OLD.unit_id, OLD.service_type_id, OLD.channel, OLD.submitted_hour, OLD.idempotency_key) THEN
        RETURN NEW;  -- only the quality flag may change
    END IF;
    RAISE EXCEPTION 'responses are append-only'
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER response_append_only BEFORE UPDATE ON response
    FOR EACH ROW EXECUTE FUNCTION forbid_response_rewrite();
CREATE FUNCTION forbid_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER answer_append_only BEFORE UPDATE ON answer
    FOR EACH ROW EXECUTE FUNCTION forbid_update();
CREATE TRIGGER answer_text_append_only BEFORE UPDATE ON answer_text
    FOR EACH ROW EXECUTE FUNCTION forbid_update();

-- The count table reports read: value × item × unit × service type × channel
-- × month. Its size grows with the number of groups, not of responses.
CREATE TABLE answer_count (
    organisation_id  bigint NOT NULL,
    survey_id        bigint NOT NULL,
    item_id          bigint NOT NULL,
    unit_id          bigint,
    service_type_id  bigint,
    channel          text NOT NULL,
    month            date NOT NULL,
    flagged          boolean NOT NULL,
    value            smallint NOT NULL,
    n                bigint NOT NULL CHECK (n >= 0)
);

CREATE UNIQUE INDEX answer_count_key ON answer_count
    (survey_id, item_id, unit_id, service_type_id, channel, month, flagged, value) NULLS NOT DISTINCT;

-- Responses per group, for response counts and rates without reading answers.
CREATE TABLE response_count (
    organisation_id  bigint NOT NULL,
    survey_id        bigint NOT NULL,
    unit_id          bigint,
    service_type_id  bigint,
    channel          text NOT NULL,
    month            date NOT NULL,
    flagged          boolean NOT NULL,
    n                bigint NOT NULL CHECK (n >= 0)
);

CREATE UNIQUE INDEX response_count_key ON response_count
    (survey_id, unit_id, service_type_id, channel, month, flagged) NULLS NOT DISTINCT;

-- Responses committed but not yet in the count tables.
CREATE TABLE count_pending (
    response_id bigint PRIMARY KEY
);
