"""A Fider-shaped PostgreSQL database, for the import tests and the import benchmark.

The tables and columns are those Fider's migrations (getfider/fider,
``migrations/``) leave and the importer reads: ``tenants``, ``users``,
``posts`` (status codes 0 open, 1 started, 2 completed, 3 declined,
4 planned, 5 duplicate, 6 deleted), ``post_votes``, ``comments``, ``tags``
and ``post_tags``. Columns the importer does not read are left out.
"""

from __future__ import annotations

import psycopg

SCHEMA = """
CREATE TABLE tenants (
    id serial PRIMARY KEY,
    name varchar(60) NOT NULL,
    subdomain varchar(40) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    status int NOT NULL DEFAULT 1,
    is_private boolean NOT NULL DEFAULT false
);
CREATE TABLE users (
    id serial PRIMARY KEY,
    name varchar(100) NULL,
    email varchar(200) NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    tenant_id int NOT NULL REFERENCES tenants (id),
    role int NOT NULL DEFAULT 1,
    status int NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX users_email_unique ON users (tenant_id, email) WHERE email <> '';
CREATE TABLE posts (
    id serial PRIMARY KEY,
    title varchar(100) NOT NULL,
    slug varchar(100) NOT NULL,
    number int NOT NULL,
    description text NULL,
    tenant_id int NOT NULL REFERENCES tenants (id),
    user_id int NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    status int NOT NULL DEFAULT 0,
    response text NULL,
    response_user_id int NULL REFERENCES users (id),
    response_date timestamptz NULL,
    original_id int NULL REFERENCES posts (id)
);
CREATE UNIQUE INDEX post_number_tenant_key ON posts (tenant_id, number);
CREATE TABLE post_votes (
    user_id int NOT NULL REFERENCES users (id),
    post_id int NOT NULL REFERENCES posts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    tenant_id int NOT NULL REFERENCES tenants (id),
    PRIMARY KEY (user_id, post_id)
);
CREATE TABLE comments (
    id serial PRIMARY KEY,
    content text NULL,
    post_id int NOT NULL REFERENCES posts (id),
    user_id int NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    tenant_id int NOT NULL REFERENCES tenants (id),
    edited_at timestamptz NULL,
    edited_by_id int NULL REFERENCES users (id),
    deleted_at timestamptz NULL,
    deleted_by_id int NULL REFERENCES users (id)
);
CREATE TABLE tags (
    id serial PRIMARY KEY,
    tenant_id int NOT NULL REFERENCES tenants (id),
    name varchar(30) NOT NULL,
    slug varchar(30) NOT NULL,
    color varchar(6) NOT NULL,
    is_public boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE post_tags (
    tag_id int NOT NULL REFERENCES tags (id),
    post_id int NOT NULL REFERENCES posts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by_id int NOT NULL REFERENCES users (id),
    tenant_id int NOT NULL REFERENCES tenants (id),
    PRIMARY KEY (tag_id, post_id)
);
"""

#: A few rows of each kind for behaviour tests, with a second tenant that must stay out.
SMALL = """
INSERT INTO tenants (id, name, subdomain)
  VALUES (1, 'Acme Feedback', 'acme'), (2, 'Other', 'other');
INSERT INTO users (id, name, email, created_at, tenant_id, role) VALUES
  (1, 'Ada Admin', 'ada@acme.test', '2022-01-01T09:00:00Z', 1, 3),
  (2, 'Ben Member', 'Ben@Acme.test', '2022-02-01T09:00:00Z', 1, 1),
  (3, 'Cy NoMail', '', '2022-03-01T09:00:00Z', 1, 1),
  (4, 'Stranger', 'stranger@other.test', '2022-03-01T09:00:00Z', 2, 1);
INSERT INTO tags (id, tenant_id, name, slug, color, is_public) VALUES
  (1, 1, 'Mobile', 'mobile', 'db2777', true), (2, 1, 'API', 'api', '0891b2', true);
INSERT INTO posts (id, title, slug, number, description, tenant_id, user_id, created_at, status,
                   response, response_user_id, response_date, original_id) VALUES
  (10, 'Dark mode', 'dark-mode', 7, 'Please add **dark** mode.', 1, 2, '2022-04-01T10:00:00Z', 4,
   'On the roadmap for spring.', 1, '2022-04-03T10:00:00Z', NULL),
  (11, 'Night theme', 'night-theme', 8, 'Same as dark mode?', 1, 3, '2022-04-02T10:00:00Z', 5,
   NULL, NULL, NULL, 10),
  (12, 'Export to CSV', 'export-to-csv', 9, '', 1, 1, '2022-05-01T10:00:00Z', 1,
   NULL, NULL, NULL, NULL),
  (13, 'Spam', 'spam', 10, 'buy now', 1, 3, '2022-05-02T10:00:00Z', 6, NULL, NULL, NULL, NULL),
  (14, 'Old idea', 'old-idea', 11, 'Shipped long ago', 1, 2, '2022-01-05T10:00:00Z', 2,
   NULL, NULL, NULL, NULL),
  (15, 'Other site post', 'other', 1, '', 2, 4, '2022-05-02T10:00:00Z', 0, NULL, NULL, NULL, NULL);
INSERT INTO post_tags (tag_id, post_id, created_by_id, tenant_id) VALUES
  (1, 10, 1, 1), (2, 10, 1, 1), (2, 12, 1, 1);
INSERT INTO post_votes (user_id, post_id, created_at, tenant_id) VALUES
  (1, 10, '2022-04-01T11:00:00Z', 1), (2, 10, '2022-04-01T12:00:00Z', 1),
  (3, 10, '2022-04-02T12:00:00Z', 1), (2, 12, '2022-05-01T12:00:00Z', 1),
  (3, 11, '2022-04-02T13:00:00Z', 1), (4, 15, '2022-05-03T12:00:00Z', 2);
INSERT INTO comments (id, content, post_id, user_id, created_at, tenant_id, edited_at, deleted_at)
VALUES
  (100, 'Yes please, my eyes hurt.', 10, 3, '2022-04-01T13:00:00Z', 1,
   '2022-04-01T14:00:00Z', NULL),
  (101, 'Removed', 10, 2, '2022-04-01T15:00:00Z', 1, NULL, '2022-04-01T16:00:00Z'),
  (102, 'Would love this', 12, 2, '2022-05-01T13:00:00Z', 1, NULL, NULL),
  (103, 'Not ours', 15, 4, '2022-05-03T13:00:00Z', 2, NULL, NULL);
"""


def create(url: str, *, small: bool = True) -> None:
    """Make Fider's tables in the (empty) database at ``url``, with the small data set."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SCHEMA.encode())
        if small:
            conn.execute(SMALL.encode())


def generate(
    url: str, *, posts: int, users: int, votes_per_post: int, comments_per_post: int
) -> None:
    """Fill an empty Fider database with one tenant of the given size, in SQL (seconds)."""
    sql = f"""
    INSERT INTO tenants (id, name, subdomain) VALUES (1, 'Bench', 'bench');
    INSERT INTO users (id, name, email, created_at, tenant_id, role)
      SELECT g, 'Person ' || g, 'person' || g || '@bench.test',
             now() - interval '2 years' + g * interval '1 minute', 1, 1
      FROM generate_series(1, {users}) g;
    INSERT INTO tags (id, tenant_id, name, slug, color, is_public)
      SELECT g, 1, 'Tag ' || g, 'tag-' || g, '2563eb', true FROM generate_series(1, 6) g;
    INSERT INTO posts (id, title, slug, number, description, tenant_id, user_id, created_at, status)
      SELECT g, 'Idea number ' || g || ' for a better product', 'idea-' || g, g,
             'It would help us a lot if idea ' || g || ' were built.' || E'\\n\\n' ||
             'We use this **every day**.', 1, 1 + (g * 7919) % {users},
             now() - interval '2 years' + g * interval '5 minutes',
             (ARRAY[0,0,0,4,1,2,3])[1 + g % 7]
      FROM generate_series(1, {posts}) g;
    INSERT INTO post_tags (tag_id, post_id, created_by_id, tenant_id)
      SELECT 1 + g % 6, g, 1, 1 FROM generate_series(1, {posts}) g WHERE g % 3 = 0;
    INSERT INTO post_votes (user_id, post_id, created_at, tenant_id)
      SELECT 1 + (p * 31 + v * 7) % {users}, p,
             now() - interval '1 year' + v * interval '1 second', 1
      FROM generate_series(1, {posts}) p, generate_series(1, {votes_per_post}) v
      ON CONFLICT DO NOTHING;
    INSERT INTO comments (content, post_id, user_id, created_at, tenant_id)
      SELECT 'Comment ' || c || ' on idea ' || p || ', +1 from us.', p, 1 + (p * 13 + c) % {users},
             now() - interval '1 year' + c * interval '1 hour', 1
      FROM generate_series(1, {posts}) p, generate_series(1, {comments_per_post}) c;
    ANALYZE;
    """  # noqa: S608  (numbers only)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SCHEMA.encode())
        conn.execute(sql.encode())
