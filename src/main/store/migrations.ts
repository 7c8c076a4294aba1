// Versioned schema: PRAGMA user_version counts the migrations applied. Append only;
// a shipped migration never changes, or users' stores would diverge.

export const MIGRATIONS: readonly string[] = [
  /* 1: datasets, images, mask revisions, runs and their results */ `
  CREATE TABLE datasets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ'))
  );

  -- file is relative to the data folder; sha256 is of the original bytes.
  CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    stem TEXT NOT NULL,
    split TEXT NOT NULL CHECK (split IN ('train', 'test', 'unassigned')),
    file TEXT NOT NULL,
    original_name TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    UNIQUE (dataset_id, split, stem),
    UNIQUE (dataset_id, sha256)
  );
  CREATE INDEX images_dataset ON images(dataset_id);

  -- Every save is a new revision; the highest is current. Undo across sessions walks back.
  CREATE TABLE masks (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    revision INTEGER NOT NULL,
    file TEXT NOT NULL,
    foreground REAL NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('import', 'annotation', 'prediction')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    UNIQUE (image_id, revision)
  );

  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN
      ('queued', 'running', 'interrupted', 'cancelled', 'failed', 'finished')),
    backend TEXT,
    group_id TEXT,
    -- The process training it; a running row whose pid is gone was killed.
    pid INTEGER,
    epochs_done INTEGER NOT NULL DEFAULT 0,
    best_val_iou REAL,
    test_metrics TEXT,
    error TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    started_at TEXT,
    finished_at TEXT,
    duration_seconds REAL
  );
  CREATE INDEX runs_dataset ON runs(dataset_id);
  CREATE INDEX runs_group ON runs(group_id);

  CREATE TABLE run_epochs (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    train_loss REAL NOT NULL,
    val_loss REAL NOT NULL,
    val_iou REAL NOT NULL,
    images_per_second REAL NOT NULL,
    seconds REAL NOT NULL,
    PRIMARY KEY (run_id, epoch)
  );

  -- Test-split results at threshold 0.5; prediction is the stored probability map.
  CREATE TABLE run_images (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    prediction TEXT NOT NULL,
    iou REAL NOT NULL,
    dice REAL NOT NULL,
    accuracy REAL NOT NULL,
    precision REAL NOT NULL,
    recall REAL NOT NULL,
    PRIMARY KEY (run_id, image_id)
  );

  CREATE TABLE comparisons (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    run_ids TEXT NOT NULL,
    settings TEXT NOT NULL,
    result TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ'))
  );
  `,

  /* 2: the same image may be in train and test (FASSEG has six such pairs, labelled
     twice); a duplicate is one within a split. SQLite cannot drop a UNIQUE constraint,
     so images is rebuilt, and with it the two tables whose foreign keys point at it: with
     foreign keys on, dropping images alone would cascade-delete their rows. */ `
  CREATE TABLE images_v2 (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    stem TEXT NOT NULL,
    split TEXT NOT NULL CHECK (split IN ('train', 'test', 'unassigned')),
    file TEXT NOT NULL,
    original_name TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    UNIQUE (dataset_id, split, stem),
    UNIQUE (dataset_id, split, sha256)
  );
  INSERT INTO images_v2 SELECT * FROM images;

  CREATE TABLE masks_v2 (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images_v2(id) ON DELETE CASCADE,
    revision INTEGER NOT NULL,
    file TEXT NOT NULL,
    foreground REAL NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('import', 'annotation', 'prediction')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    UNIQUE (image_id, revision)
  );
  INSERT INTO masks_v2 SELECT * FROM masks;

  CREATE TABLE run_images_v2 (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    image_id INTEGER NOT NULL REFERENCES images_v2(id) ON DELETE CASCADE,
    prediction TEXT NOT NULL,
    iou REAL NOT NULL,
    dice REAL NOT NULL,
    accuracy REAL NOT NULL,
    precision REAL NOT NULL,
    recall REAL NOT NULL,
    PRIMARY KEY (run_id, image_id)
  );
  INSERT INTO run_images_v2 SELECT * FROM run_images;

  DROP TABLE run_images;
  DROP TABLE masks;
  DROP TABLE images;
  -- Renaming rewrites the _v2 references in the other tables' foreign keys.
  ALTER TABLE images_v2 RENAME TO images;
  ALTER TABLE masks_v2 RENAME TO masks;
  ALTER TABLE run_images_v2 RENAME TO run_images;
  CREATE INDEX images_dataset ON images(dataset_id);
  `,

  /* 3: experiments: a grid of runs (datasets x models x losses x seeds) sharing one
     training protocol. Its runs carry group_id 'experiment-<id>'; the grid is the one
     last asked for, so a later, larger grid reuses the cells already trained. */ `
  CREATE TABLE experiments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    protocol TEXT NOT NULL UNIQUE,
    grid TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ'))
  );
  `,

  /* 4: predictions made on demand (runs.predict) for images outside a run's test split,
     e.g. to start a mask from. Stored like the test predictions, without metrics: an
     image may have no mask to score against. */ `
  CREATE TABLE run_predictions (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    prediction TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    PRIMARY KEY (run_id, image_id)
  );
  `,

  /* 5: the label-train-correct loop. A pre-label's uncertainty (mean pixel entropy of the
     probability map, in bits) orders "Label next"; an excluded image is kept but never
     trains, validates or tests. */ `
  ALTER TABLE run_predictions ADD COLUMN uncertainty REAL;
  ALTER TABLE images ADD COLUMN excluded INTEGER NOT NULL DEFAULT 0;
  `,

  /* 6: the GPU a webgpu run trained on (vendor, architecture, device, description as
     JSON), beside its backend; null for other backends. */ `
  ALTER TABLE runs ADD COLUMN adapter TEXT;
  `,

  /* 7: how many images a run trained, validated and tested on, as its trainer split them
     (JSON); what a run with 'labelled' used is otherwise known only from the config and
     the images as they are now. */ `
  ALTER TABLE runs ADD COLUMN split_sizes TEXT;
  `,

  /* 8: several grids under one protocol. Migration 3 kept one grid per protocol, so a
     second grid of it (the IoU losses after the sparsity axis) replaced the first in the
     list though both sets of runs stayed. Now each grid is its own row; rows of one
     protocol share their runs, which carry the group id of the protocol's first row. */ `
  CREATE TABLE experiments_by_grid (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    protocol TEXT NOT NULL,
    grid TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ'))
  );
  INSERT INTO experiments_by_grid SELECT id, name, protocol, grid, created_at, updated_at
    FROM experiments;
  DROP TABLE experiments;
  ALTER TABLE experiments_by_grid RENAME TO experiments;
  CREATE INDEX experiments_protocol ON experiments(protocol);
  `,
];
