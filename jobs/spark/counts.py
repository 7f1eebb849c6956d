"""Build trailsight's counts table (version 2) from CloudTrail logs on Spark.

    python jobs/spark/counts.py INPUT [INPUT...] OUTPUT_DIR [--event-categories management,data]
    spark-submit jobs/spark/counts.py s3://trail-bucket/AWSLogs/ s3://results/counts/

INPUT is a folder (the S3 layout of a trail bucket, or any folder of delivery files),
a file or a glob, local or `s3://` (`s3a://` on plain Hadoop). OUTPUT_DIR receives one
Parquet file, `counts.parquet`, that `trailsight detect OUTPUT_DIR/counts.parquet`
reads like the logs it was made from. It holds, row for row, what
`trailsight detect INPUT --write-counts FILE` writes (src/ingest/counts.rs is the
contract; tests/spark.rs checks the equality on simulated histories):

- each record typed the way trailsight types it: eventTime parsed to its minute (ISO
  8601 with `T`, `t` or a space, optional fraction and zone), eventName, eventSource,
  awsRegion and an account (recipientAccountId, else userIdentity.accountId) required,
  the account 12 digits and the region lowercase letters, digits and dashes; readOnly
  taken as given (true/false, or the text "true"/"false" of old records) and otherwise
  inferred from the API name with the same table and verbs as trailsight
  (src/ingest/read_only.rs); the category from eventCategory, and for records older than
  eventVersion 1.07 Management unless managementEvent is false;
- deduplicated by (account, region, eventID, minute), the first copy in file order kept;
- one row per (minute, account, region, API, category, read_only, error code, principal,
  user agent, source IP) with its count, management events always and data events only
  with `--event-categories management,data`;
- the records per day of eventTime (every category, duplicates included) in the footer,
  and only the rows of the run of days trailsight keeps (days more than 6 empty days away
  from the bulk of the data are stray timestamps, not history).

Delivery files (`{"Records": [...]}`), bare JSON arrays and JSON lines are read, gzip or
plain; CloudTrail-Digest and CloudTrail-Insight folders are skipped. Where trailsight
keeps the records before a break in a damaged file, this job loses the whole file: run
`trailsight detect` on such files to see what they hold.
"""

import argparse
import json
import os
import sys

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

VERSION = "2"
MAX_GAP_DAYS = 6
ROWS_PER_BATCH = 65536

# src/ingest/read_only.rs: APIs whose verb says nothing of whether they write.
KNOWN_APIS = [
    ("bedrock.amazonaws.com", "InvokeModel", True),
    ("bedrock.amazonaws.com", "InvokeModelWithResponseStream", True),
    ("dynamodb.amazonaws.com", "TransactGetItems", True),
    ("kms.amazonaws.com", "Decrypt", True),
    ("kms.amazonaws.com", "Encrypt", True),
    ("kms.amazonaws.com", "GenerateDataKey", True),
    ("kms.amazonaws.com", "GenerateDataKeyPair", True),
    ("kms.amazonaws.com", "GenerateDataKeyPairWithoutPlaintext", True),
    ("kms.amazonaws.com", "GenerateDataKeyWithoutPlaintext", True),
    ("kms.amazonaws.com", "GenerateMac", True),
    ("kms.amazonaws.com", "GenerateRandom", True),
    ("kms.amazonaws.com", "ReEncrypt", True),
    ("kms.amazonaws.com", "Sign", True),
    ("kms.amazonaws.com", "Verify", True),
    ("kms.amazonaws.com", "VerifyMac", True),
    ("logs.amazonaws.com", "FilterLogEvents", True),
    ("signin.amazonaws.com", "CheckMfa", False),
    ("sts.amazonaws.com", "AssumeRole", True),
    ("sts.amazonaws.com", "AssumeRoleWithSAML", True),
    ("sts.amazonaws.com", "AssumeRoleWithWebIdentity", True),
    ("sts.amazonaws.com", "GetFederationToken", False),
]
READ_PREFIXES = ["Describe", "Get", "List", "Head", "Lookup", "Search", "BatchGet", "Query", "Scan",
                 "Select", "View", "Check", "Preview", "Estimate"]

ISO_TIME = r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:?\d{2})?$"

TEXT = T.StringType()
RECORD = T.StructType([
    T.StructField(name, TEXT) for name in [
        "eventTime", "eventSource", "eventName", "awsRegion", "eventID", "eventType", "eventCategory",
        "errorCode", "recipientAccountId", "userAgent", "sourceIPAddress", "readOnly", "managementEvent",
    ]
] + [T.StructField("userIdentity", T.StructType([
    T.StructField(name, TEXT) for name in ["arn", "accountId", "invokedBy", "principalId"]
]))])


def parse_args(argv):
    p = argparse.ArgumentParser(description="Build trailsight's counts table from CloudTrail logs.")
    p.add_argument("paths", nargs="+", metavar="INPUT... OUTPUT_DIR")
    p.add_argument("--event-categories", default="management",
                   help="management (default) or management,data")
    a = p.parse_args(argv)
    if len(a.paths) < 2:
        p.error("give at least one INPUT and the OUTPUT_DIR")
    categories = {c.strip().lower() for c in a.event_categories.split(",") if c.strip()}
    if not categories <= {"management", "data"} or "management" not in categories:
        p.error("--event-categories is management or management,data")
    return a.paths[:-1], a.paths[-1], "data" in categories


def event_minute(col):
    """trailsight's parse_event_minute: minutes since the epoch, or null."""
    m = F.regexp_extract(col, ISO_TIME, 0)
    part = lambda i: F.regexp_extract(col, ISO_TIME, i)
    year, month, day = part(1).cast("int"), part(2).cast("int"), part(3).cast("int")
    hour, minute, second = part(4).cast("int"), part(5).cast("int"), part(6).cast("int")
    zone = part(8)
    date = F.make_date(year, month, day)  # null for a day the month does not have
    days = F.datediff(date, F.lit("1970-01-01").cast("date"))
    sign = F.when(F.substring(zone, 1, 1) == "-", -1).otherwise(1)
    digits = F.regexp_replace(zone, r"[+\-:]", "")
    zh = F.substring(digits, 1, 2).cast("int")
    zm = F.substring(digits, 3, 2).cast("int")
    utc = (zone == "") | (F.upper(zone) == "Z")
    offset = F.when(utc, 0).otherwise(sign * (zh * 60 + zm))
    valid = (m != "") & date.isNotNull() & (hour <= 23) & (minute <= 59) & (second <= 60) \
        & (utc | ((zh <= 23) & (zm <= 59)))
    return F.when(valid, days.cast("long") * 1440 + hour * 60 + minute - offset)


def lenient_bool(col):
    return F.when(F.lower(col) == "true", True).when(F.lower(col) == "false", False)


def inferred_read_only(source, name):
    known = None
    for s, n, flag in KNOWN_APIS:
        cond = (source == s) & (name == n)
        known = F.when(cond, flag) if known is None else known.when(cond, flag)
    verb = F.lit(False)
    for prefix in READ_PREFIXES:
        rest = F.substring(name, len(prefix) + 1, 1)
        verb = verb | (name.startswith(prefix) & ((F.length(name) == len(prefix)) | rest.rlike("^[A-Z0-9]$")))
    return known.otherwise(verb)


def records(spark, inputs):
    """Every record of the input files, with its file, position and file size."""
    files = (spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(inputs)
             .select("path", "length"))
    files = files.where(~F.col("path").rlike("/CloudTrail-(Digest|Insight)/")) \
        .where(F.lower(F.col("path")).rlike(r"\.(json|jsonl|ndjson)(\.gz)?$|\.gz$"))
    paths = [r.path for r in files.select("path").collect()]
    if not paths:
        return None, []
    sources = sorted({f"{os.path.basename(r.path)}:{r.length}" for r in files.collect()})
    text = spark.read.option("wholetext", "true").text(paths).select(
        F.col("_metadata.file_path").alias("path"), F.col("value"))
    doc = F.from_json("value", T.StructType([T.StructField("Records", T.ArrayType(RECORD))]))
    array = F.from_json("value", T.ArrayType(RECORD))
    trimmed = F.ltrim(F.regexp_replace("value", "^\ufeff", ""))
    lines = F.transform(F.split("value", "\n"), lambda line: F.from_json(line, RECORD))
    parsed = F.when(trimmed.startswith("["), array) \
        .when(doc.getField("Records").isNotNull(), doc.getField("Records")) \
        .otherwise(lines)
    recs = text.select("path", F.posexplode(parsed).alias("pos", "r")).where(F.col("r").isNotNull())
    return recs, sources


def typed(recs):
    r = lambda name: F.col("r").getField(name)
    ident = F.col("r").getField("userIdentity")
    account = F.coalesce(r("recipientAccountId"), ident.getField("accountId"))
    is_insight = r("eventType") == "AwsCloudTrailInsight"
    out = recs.select(
        "path", "pos",
        event_minute(r("eventTime")).alias("minute"),
        r("eventSource").alias("event_source"),
        r("eventName").alias("event_name"),
        r("awsRegion").alias("aws_region"),
        account.alias("recipient_account_id"),
        r("eventID").alias("event_id"),
        r("errorCode").alias("error_code"),
        F.coalesce(ident.getField("arn"), ident.getField("invokedBy"), ident.getField("principalId")).alias("user_identity_arn"),
        r("userAgent").alias("user_agent"),
        r("sourceIPAddress").alias("source_ip_address"),
        F.coalesce(lenient_bool(r("readOnly")), inferred_read_only(r("eventSource"), r("eventName"))).alias("read_only"),
        F.when(F.coalesce(is_insight, F.lit(False)), "Insight")
        .when(r("eventCategory").isin("Management", "Data", "NetworkActivity", "Insight"), r("eventCategory"))
        .when(r("eventCategory").isNotNull(), "Other")
        .when(lenient_bool(r("managementEvent")) == False, "Data")  # noqa: E712
        .otherwise("Management").alias("event_category"),
    )
    # What trailsight's to_event refuses (or takes for an Insight record, not an event).
    return out.where(
        F.col("minute").isNotNull()
        & F.col("event_name").isNotNull() & F.col("event_source").isNotNull() & F.col("aws_region").isNotNull()
        & F.col("recipient_account_id").rlike(r"^[0-9]{12}$")
        & F.col("aws_region").rlike(r"^[a-z0-9-]{1,32}$")
    )


def kept_days(day_records):
    """src/aggregate/range.rs kept_days: the run of days with the most records."""
    days = sorted((d, n) for d, n in day_records if n > 0)
    best, i = None, 0
    while i < len(days):
        j, total = i, days[i][1]
        while j + 1 < len(days) and days[j + 1][0] - days[j][0] <= MAX_GAP_DAYS + 1:
            j += 1
            total += days[j][1]
        if best is None or total >= best[0]:
            best = (total, days[i][0], days[j][0])
        i = j + 1
    return None if best is None else (best[1], best[2])


def counts(spark, inputs, data_events):
    recs, sources = records(spark, inputs)
    if recs is None:
        raise SystemExit(f"counts.py: no CloudTrail log files under {', '.join(inputs)}")
    events = typed(recs).withColumn("day", F.floor(F.col("minute") / 1440)).cache()
    day_records = [(int(r.day), int(r["count"])) for r in events.groupBy("day").count().collect()]
    span = kept_days(day_records)
    first = Window.partitionBy("recipient_account_id", "aws_region", "event_id", "minute").orderBy("path", "pos")
    with_id = events.where(F.col("event_id").isNotNull()) \
        .withColumn("copy", F.row_number().over(first)).where(F.col("copy") == 1).drop("copy")
    unique = with_id.unionByName(events.where(F.col("event_id").isNull()))
    wanted = ["Management", "Data"] if data_events else ["Management"]
    keys = ["minute", "recipient_account_id", "aws_region", "event_source", "event_name", "event_category",
            "read_only", "error_code", "user_identity_arn", "user_agent", "source_ip_address"]
    cells = unique.where(F.col("event_category").isin(wanted))
    if span is None:
        cells = cells.where(F.lit(False))
    else:
        cells = cells.where(F.col("day").between(span[0], span[1]))
    nullable = lambda c: F.when(F.col(c) != "null", F.col(c))
    cells = cells.select(*[nullable(c).alias(c) if c in ("user_identity_arn", "user_agent", "source_ip_address") else F.col(c) for c in keys]) \
        .groupBy(*keys).agg(F.count(F.lit(1)).alias("count")) \
        .orderBy(*[F.col(c).asc_nulls_first() for c in keys])
    return cells, sorted(day_records), sources


def write(cells, day_records, sources, out_dir):
    """One Parquet file with trailsight's footer metadata, streamed partition by partition."""
    import pyarrow as pa
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    schema = pa.schema([
        ("minute", pa.timestamp("ms", tz="UTC")),
        ("recipient_account_id", pa.string()), ("aws_region", pa.string()),
        ("event_source", pa.string()), ("event_name", pa.string()), ("event_category", pa.string()),
        ("read_only", pa.bool_()), ("error_code", pa.string()), ("user_identity_arn", pa.string()),
        ("user_agent", pa.string()), ("source_ip_address", pa.string()), ("count", pa.int64()),
    ]).with_metadata({
        "trailsight.counts_version": VERSION,
        "trailsight.sources": json.dumps(sources, separators=(",", ":")),
        "trailsight.day_records": json.dumps([[d, n] for d, n in day_records], separators=(",", ":")),
    })
    fs, root = pafs.FileSystem.from_uri(out_dir if "://" in out_dir else os.path.abspath(out_dir))
    fs.create_dir(root, recursive=True)
    path = root.rstrip("/") + "/counts.parquet"
    rows = 0
    with fs.open_output_stream(path) as sink, pq.ParquetWriter(sink, schema) as writer:
        batch = []
        for row in cells.toLocalIterator(prefetchPartitions=True):
            d = row.asDict()
            d["minute"] = d["minute"] * 60_000
            batch.append(d)
            if len(batch) == ROWS_PER_BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                rows += len(batch)
                batch = []
        if batch or rows == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            rows += len(batch)
    return path, rows


def main(argv):
    inputs, out_dir, data_events = parse_args(argv)
    spark = (SparkSession.builder.appName("trailsight-counts")
             .config("spark.sql.session.timeZone", "UTC")
             # Invalid dates and empty casts are nulls (records refused), not errors.
             .config("spark.sql.ansi.enabled", "false")
             # A damaged gzip file is left out with a warning in Spark's log, the run goes on.
             .config("spark.sql.files.ignoreCorruptFiles", "true")
             .config("spark.ui.showConsoleProgress", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        cells, day_records, sources = counts(spark, inputs, data_events)
        path, rows = write(cells, day_records, sources, out_dir)
    finally:
        spark.stop()
    print(f"counts.py: wrote {rows} rows from {len(sources)} files to {path}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
