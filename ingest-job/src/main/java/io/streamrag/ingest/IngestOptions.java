package io.streamrag.ingest;

import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.retry.Backoff;
import io.streamrag.common.tenancy.TenantRate;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/** Every option of the ingest job, with its default; Kafka, topics and OpenSearch come from StreamRagOptions. */
public final class IngestOptions {

    /** Where document events come from. */
    public enum SourceKind {
        /** Continuous: the documents topic, forever. */
        KAFKA,
        /** Backfill: the documents topic up to its end offsets at start, then finish. */
        KAFKA_BOUNDED,
        /** Backfill: every file under {@code ingest.path}, then finish. */
        FILES;

        /** The value as written in a configuration: {@code kafka}, {@code kafka-bounded}, {@code files}. */
        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** Which documents the poison quarantine holds until a checkpoint records their attempt. */
    public enum QuarantineMode {
        /** Only after a restore: the replayed documents, and everything while suspects are retried. */
        OPTIMISTIC,
        /** Every document (up to one checkpoint interval of latency each). */
        ALWAYS_GATE;

        /** The value as written in a configuration: {@code optimistic}, {@code always-gate}. */
        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** How images become text. */
    public enum OcrProvider {
        TESSERACT,
        VISION,
        NONE;

        /** The value as written in a configuration: {@code tesseract}, {@code vision}, {@code none}. */
        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    // ---- source ----
    public static final ConfigOption<SourceKind> SOURCE = ConfigOptions.key("ingest.source").enumType(SourceKind.class)
            .defaultValue(SourceKind.KAFKA)
            .withDescription("Source: kafka (continuous), kafka-bounded (topic up to its current end, then finish) or files (ingest.path, then finish).");
    public static final ConfigOption<String> PATH = ConfigOptions.key("ingest.path").stringType().noDefaultValue()
            .withDescription("Folder (any Flink FileSystem URI or local path) read by the files source, without hidden (.name) entries and links to folders; "
                    + "documentId is the relative path (the name when it names one file).");
    public static final ConfigOption<String> TENANT = ConfigOptions.key("ingest.tenant").stringType().defaultValue("default")
            .withDescription("Tenant of documents read by the files source.");
    public static final ConfigOption<String> GROUP_ID = ConfigOptions.key("ingest.group-id").stringType().defaultValue("streamrag-ingest")
            .withDescription("Kafka consumer group of the documents source (offsets committed on checkpoints; a start without state "
                    + "begins at its committed offsets). Unset, a kafka-bounded run uses a group of its own, streamrag-ingest-kafka-bounded, "
                    + "so it neither starts at the live job's position nor commits into the live job's group; a rerun resumes it.");
    public static final ConfigOption<String> ALLOWED_ROOTS = ConfigOptions.key("ingest.allowed-roots").stringType().defaultValue("")
            .withDescription("Comma-separated local folders file:// URIs may be read from; empty allows none. A folder containing {tenant} "
                    + "is each tenant's own (e.g. /data/{tenant}; tenants outside [A-Za-z0-9._-] are refused). The files source allows its own path.");
    public static final ConfigOption<Integer> PARALLELISM = ConfigOptions.key("ingest.parallelism").intType().defaultValue(-1)
            .withDescription("Parallelism of the job, set by IngestJob.configure; -1 keeps the cluster's default (parallelism.default).");
    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = ConfigOptions.key("ingest.checkpoint-interval").durationType()
            .defaultValue(Duration.ofSeconds(10))
            .withDescription("Checkpoint interval set by IngestJob.configure. Not set (or 0): Flink's execution.checkpointing.interval "
                    + "when set, else 10 s (a bounded run: ingest.bounded.checkpoint-interval).");

    public static final ConfigOption<Duration> BUFFER_TIMEOUT = ConfigOptions.key("ingest.buffer-timeout").durationType()
            .defaultValue(Duration.ZERO)
            .withDescription("Network buffer flush interval of the job's operators, set by IngestJob.configure; 0 (the default) "
                    + "sends each record on at once. A trickled document crosses four exchanges (version gate, quarantine, assemble, "
                    + "index), each of which could hold it up to this long (Flink's default is 100 ms). This job's records are few "
                    + "and large (documents, chunks with their vectors), so flushing each costs less than a positive interval's "
                    + "flusher threads, which wake that often in every task even when idle (bench ingest at 25 ms: the flushers took "
                    + "0.15-0.3 CPU-s per 1000 chunks, freshness p50 was ~0.08 s higher).");

    public static final ConfigOption<Duration> BOUNDED_CHECKPOINT_INTERVAL = ConfigOptions.key("ingest.bounded.checkpoint-interval").durationType()
            .defaultValue(Duration.ofSeconds(1))
            .withDescription("Checkpoint interval of bounded runs (ingest.source files or kafka-bounded, e.g. bin/rag backfill) when "
                    + "neither ingest.checkpoint-interval nor execution.checkpointing.interval is set: the run ends with a checkpoint (the exactly-once sinks commit on it), so at "
                    + "the continuous job's 10 s a backfill would idle up to 10 s at its end, and after a restore its documents (the "
                    + "files source stamps none) wait in the quarantine for a checkpoint each. Their checkpoints are small "
                    + "(file references, or Kafka offsets).");

    public static final ConfigOption<Duration> VERSION_STATE_TTL = ConfigOptions.key("ingest.version-state-ttl").durationType()
            .defaultValue(Duration.ofDays(30))
            .withDescription("How long the version gate remembers a document's latest version after its last event (keyed state TTL; 0 = forever). "
                    + "Afterwards the index lookup (ingest.index.version-lookup) answers; an event older than a forgotten DELETE is then no longer recognised as stale.");
    public static final ConfigOption<Double> TENANT_DOCUMENT_RATE = ConfigOptions.key("ingest.tenant.document-rate").doubleType()
            .defaultValue(0.0)
            .withDescription("Document events per second each tenant may send into fetch, extraction, OCR, embedding and "
                    + "indexing, across the job (a DELETE counts like a document, in its place: the indexer flushes, refreshes, searches and deletes for it), so one tenant's backlog waits in "
                    + "its own queue instead of in front of every tenant's documents. Waiting documents are kept in state "
                    + "with their inline content (up to ingest.tenant.max-waiting-bytes). Not applied to bounded runs (backfills). 0 (the default): no limit.");
    public static final ConfigOption<Integer> TENANT_BURST = ConfigOptions.key("ingest.tenant.burst").intType().defaultValue(16)
            .withDescription("Documents a tenant may send at once after a quiet spell (its bucket). Only with "
                    + "ingest.tenant.document-rate.");
    public static final ConfigOption<Integer> TENANT_MAX_WAITING = ConfigOptions.key("ingest.tenant.max-waiting").intType()
            .defaultValue(1000)
            .withDescription("Documents of one tenant that may wait for its rate; more are dead-lettered at once "
                    + "(admit/TenantOverRate, the event kept as for any dead letter) for the producer to send again. Only "
                    + "with ingest.tenant.document-rate.");
    public static final ConfigOption<MemorySize> TENANT_MAX_WAITING_BYTES = ConfigOptions.key("ingest.tenant.max-waiting-bytes")
            .memoryType().defaultValue(MemorySize.ofMebiBytes(64))
            .withDescription("What one tenant's waiting documents may hold together in state (their inline content, "
                    + "counted as the base64 text, plus the event a dead letter keeps); a document that would go past it is dead-lettered "
                    + "like one past ingest.tenant.max-waiting. Bounds the TaskManager memory (heap state) or disk "
                    + "(RocksDB) a tenant's flood of inline documents can take. Only with ingest.tenant.document-rate.");
    public static final ConfigOption<Integer> TENANT_MAX_WAITING_TOTAL = ConfigOptions.key("ingest.tenant.max-waiting-total")
            .intType().defaultValue(4000)
            .withDescription("Documents of all tenants that may wait for their rates together, per subtask of the admission "
                    + "operator; past it a document that would wait is dead-lettered like one past ingest.tenant.max-waiting. "
                    + "Tenant names are whatever producers send: without it, each made-up tenant could fill a queue of its own. "
                    + "The default, 4 x ingest.tenant.max-waiting, holds four tenants' full queues; at least "
                    + "ingest.tenant.max-waiting. Only with ingest.tenant.document-rate.");
    public static final ConfigOption<MemorySize> TENANT_MAX_WAITING_BYTES_TOTAL = ConfigOptions.key("ingest.tenant.max-waiting-bytes-total")
            .memoryType().defaultValue(MemorySize.ofMebiBytes(256))
            .withDescription("What all tenants' waiting documents may hold together in state (counted as for "
                    + "ingest.tenant.max-waiting-bytes), per subtask of the admission operator; a document that would go past "
                    + "it is dead-lettered like one past ingest.tenant.max-waiting. The default, 4 x "
                    + "ingest.tenant.max-waiting-bytes, bounds a subtask to four tenants' full queues, where K made-up tenants "
                    + "held K x 64 MiB; with the hashmap state backend it is TaskManager heap, once per slot running the "
                    + "operator. At least ingest.tenant.max-waiting-bytes. Only with ingest.tenant.document-rate.");
    public static final ConfigOption<Integer> QUARANTINE_MAX_ATTEMPTS = ConfigOptions.key("ingest.quarantine.max-attempts").intType().defaultValue(2)
            .withDescription("Attempts after which a document during whose processing the job failed each time is dead-lettered "
                    + "(quarantine/PoisonDocument) instead of crash-looping the job. Only gated attempts count (see "
                    + "ingest.quarantine.mode): optimistic needs up to one failure more. A failure while OpenSearch or a remote embedding "
                    + "endpoint does not answer is not counted (ingest.quarantine.probe-interval). 0 turns the quarantine off.");
    public static final ConfigOption<QuarantineMode> QUARANTINE_MODE = ConfigOptions.key("ingest.quarantine.mode").enumType(QuarantineMode.class)
            .defaultValue(QuarantineMode.OPTIMISTIC)
            .withDescription("optimistic: documents pass straight through; after a restore, the replayed ones (record timestamp before "
                    + "the restore) wait for a checkpoint that records their attempt (at most 128 are released per checkpoint), and the "
                    + "suspects of a failed release are retried in halves until the one that fails alone in the job is found (at "
                    + "parallelism above 1 the subtasks retry their suspects in turns, the others holding every document meanwhile). always-gate: "
                    + "every document waits for a checkpoint (up to one interval of latency; a poison document is caught within "
                    + "ingest.quarantine.max-attempts failures instead of one more).");
    public static final ConfigOption<Duration> QUARANTINE_PROBE_INTERVAL = ConfigOptions.key("ingest.quarantine.probe-interval").durationType()
            .defaultValue(Duration.ofSeconds(5))
            .withDescription("How often the quarantine, while it holds documents, asks whether OpenSearch (GET "
                    + "/_cluster/health/ of the opensearch.index alias, timeout=0s: the health of the job's own index; a missing "
                    + "index answers) and a remote embedding endpoint (embedding.provider openai or ollama: GET of "
                    + "embedding.base-url) answer. One that does not (no connection, no answer within ingest.quarantine.probe-timeout, "
                    + "HTTP 5xx or 429, OpenSearch refusing the job's credentials, the index red or blocking writes, as at the disk's flood stage, or a write like the indexer's rejected: a bulk delete "
                    + "of a document id no chunk has, refused with 429 or 5xx as by a full write queue, or with 403 as under a write block or for a "
                    + "missing permission, or because the index is closed: "
                    + "an outage the indexer and the embedder wait out, then fail the job) is down: the quarantine releases no held document while it is, and a restore that finds one down does not count the "
                    + "failure as an attempt of the documents in flight (they are held, as they were, until it answers). So an outage "
                    + "longer than ingest.index.retry-budget fails the job but dead-letters nobody. 0 turns the probe off (every "
                    + "failure counts, as before).");
    public static final ConfigOption<Duration> QUARANTINE_PROBE_TIMEOUT = ConfigOptions.key("ingest.quarantine.probe-timeout").durationType()
            .defaultValue(Duration.ofSeconds(5))
            .withDescription("How long a probe (ingest.quarantine.probe-interval) waits for each dependency's answer before it counts it "
                    + "as down. A restored subtask probes once before it counts the failure (each of its requests within this, one after "
                    + "another: OpenSearch's health, its blocks and a write, then the embedding endpoint). Keep it above the slowest cluster health answer of a busy cluster: a dependency probed as "
                    + "down holds the quarantine's documents. At least 100 ms while the probe is on.");

    // ---- Kafka sinks (dead letters and outcomes, both exactly-once) ----
    public static final ConfigOption<String> SINK_TRANSACTIONAL_ID_PREFIX = ConfigOptions.key("ingest.sink.transactional-id-prefix").stringType()
            .defaultValue("streamrag-ingest")
            .withDescription("Transactional id prefix of the dead-letter and outcome sinks (suffixed -dlq and -outcomes). Every job "
                    + "writing to the same Kafka cluster needs its own, or their exactly-once sinks fence each other (ProducerFencedException, "
                    + "restarts). Unset, the continuous job uses the default and a bounded run (ingest.source kafka-bounded or files) one "
                    + "of its own, the same for a rerun of the same run (which aborts what a failed one left open): "
                    + "streamrag-ingest-kafka-bounded-<ingest.group-id>-<hash of ingest.group-id>, or streamrag-ingest-files-<ingest.tenant>-<folder name>-<hash "
                    + "of ingest.path>. Two bounded runs at once need distinct group ids (or folders), or their own prefixes.");
    public static final ConfigOption<Duration> SINK_TRANSACTION_TIMEOUT = ConfigOptions.key("ingest.sink.transaction-timeout").durationType()
            .defaultValue(Duration.ofMinutes(15))
            .withDescription("transaction.timeout.ms of the exactly-once sinks; the broker caps it (transaction.max.timeout.ms, 15 min by default; "
                    + "the job refuses to start above kafka.transaction-max-timeout, to be raised with the brokers' setting) "
                    + "and it must outlast (tolerable failed checkpoints + 2) x checkpoint timeout + (tolerable failed checkpoints + 1) x interval, "
                    + "the longest a transaction can wait for its commit: the job refuses to start otherwise.");

    // ---- fetch limits ----
    public static final ConfigOption<MemorySize> LIMITS_MAX_BYTES = ConfigOptions.key("ingest.limits.max-bytes").memoryType()
            .defaultValue(MemorySize.ofMebiBytes(100))
            .withDeprecatedKeys("limits.max-bytes")
            .withDescription("Largest document content accepted (e.g. 100m; a plain number is bytes).");
    public static final ConfigOption<MemorySize> LIMITS_MAX_INLINE_BYTES = ConfigOptions.key("ingest.limits.max-inline-bytes").memoryType()
            .defaultValue(MemorySize.ofMebiBytes(10))
            .withDeprecatedKeys("limits.max-inline-bytes")
            .withDescription("Largest decoded contentBase64 accepted (e.g. 10m; a plain number is bytes).");
    public static final ConfigOption<Duration> FETCH_HTTP_TIMEOUT = ConfigOptions.key("ingest.fetch.http-timeout").durationType().defaultValue(Duration.ofSeconds(30))
            .withDeprecatedKeys("fetch.http-timeout")
            .withDescription("Connect timeout of one http(s) request, and the longest it waits for the response or, once the body "
                    + "streams, for its next bytes.");
    public static final ConfigOption<Duration> FETCH_TOTAL_TIMEOUT = ConfigOptions.key("ingest.fetch.total-timeout").durationType()
            .defaultValue(Duration.ofMinutes(2))
            .withDeprecatedKeys("fetch.total-timeout")
            .withDescription("Total time for one fetch: over http(s) every redirect hop and the whole body (a slow-drip server is cut off); "
                    + "through Flink's FileSystem (s3://, hdfs://, ...) the status, open and whole read (a stalled store is cut off).");
    public static final ConfigOption<Integer> FETCH_MAX_REDIRECTS = ConfigOptions.key("ingest.fetch.max-redirects").intType().defaultValue(5)
            .withDeprecatedKeys("fetch.max-redirects")
            .withDescription("Redirects followed per http(s) fetch; each hop is checked against the fetch policy again.");

    // ---- fetch policy (SSRF): see README "Security / Fetch policy" ----
    public static final ConfigOption<List<String>> FETCH_ALLOWED_SCHEMES = ConfigOptions.key("ingest.fetch.allowed-schemes").stringType().asList()
            .defaultValues("file", "http", "https")
            .withDeprecatedKeys("fetch.allowed-schemes")
            .withDescription("URI schemes a document event may name; any other scheme is dead-lettered (fetch/Forbidden). "
                    + "file:// is further limited to ingest.allowed-roots, http(s):// to ingest.fetch.allowed-hosts, object "
                    + "stores read through Flink's FileSystem (s3, s3a, s3p, hdfs, gs, abfs, abfss; none by default) to "
                    + "ingest.fetch.allowed-prefixes. Entries are separated by ';'; one that is not a URI scheme (e.g. "
                    + "'file,http,https', written with commas) fails the job at start.");
    public static final ConfigOption<List<String>> FETCH_ALLOWED_PREFIXES = ConfigOptions.key("ingest.fetch.allowed-prefixes").stringType().asList()
            .defaultValues()
            .withDescription("Where object-store URIs (an allowed scheme other than file and http(s)) must lie, e.g. "
                    + "s3://docs/{tenant}/: {tenant} is the event's tenant, so each tenant reads only its own prefix; a URI "
                    + "with a ., .. or empty segment, a query or a fragment is refused. Empty (the default): any object "
                    + "the job's credentials reach, which the job warns of at start.");
    public static final ConfigOption<List<String>> FETCH_ALLOWED_HOSTS = ConfigOptions.key("ingest.fetch.allowed-hosts").stringType().asList()
            .defaultValues()
            .withDeprecatedKeys("fetch.allowed-hosts")
            .withDescription("Host names http(s) URIs may name: exact names, '*.example.com' for subdomains, or '*' for any; "
                    + "empty (the default) allows no http(s) fetch. The resolved addresses must also pass ingest.fetch.allowed-addresses.");
    public static final ConfigOption<List<String>> FETCH_ALLOWED_ADDRESSES = ConfigOptions.key("ingest.fetch.allowed-addresses").stringType().asList()
            .defaultValues()
            .withDeprecatedKeys("fetch.allowed-addresses")
            .withDescription("Non-public addresses http(s) fetches may connect to, as ADDRESS[/PREFIX][:PORT] or [IPv6[/PREFIX]][:PORT] "
                    + "(e.g. 10.20.0.0/16, 127.0.0.1:8000). Loopback, private, link-local, unique-local, CGNAT, unspecified, "
                    + "multicast and reserved addresses are refused unless listed; empty (the default) allows only public addresses. "
                    + "A fetch connects only to the addresses it checked and never through the JVM's proxy settings "
                    + "(http(s).proxyHost, a default ProxySelector).");

    // ---- extraction limits ----
    public static final ConfigOption<Integer> LIMITS_MAX_PAGES = ConfigOptions.key("ingest.limits.max-pages").intType().defaultValue(5000)
            .withDeprecatedKeys("limits.max-pages")
            .withDescription("Documents with more pages are dead-lettered (LimitExceeded).");
    public static final ConfigOption<Integer> LIMITS_MAX_IMAGES = ConfigOptions.key("ingest.limits.max-images").intType().defaultValue(300)
            .withDeprecatedKeys("limits.max-images")
            .withDescription("Images read per document; further images are skipped (counted).");
    public static final ConfigOption<MemorySize> LIMITS_MAX_IMAGE_BYTES = ConfigOptions.key("ingest.limits.max-image-bytes").memoryType()
            .defaultValue(MemorySize.parse("256m"))
            .withDescription("Bytes of the images one document yields (PNGs of rendered scanned pages and of embedded images), all held "
                    + "until the document is extracted; further images are skipped (counted).");
    public static final ConfigOption<Long> LIMITS_MAX_IMAGE_PIXELS = ConfigOptions.key("ingest.limits.max-image-pixels").longType().defaultValue(40_000_000L)
            .withDeprecatedKeys("limits.max-image-pixels")
            .withDescription("Images whose PDF dictionary declares more pixels are skipped before decoding (decompression bombs); a JPEG "
                    + "whose own header declares more than its dictionary and this limit dead-letters the document (LimitExceeded).");
    public static final ConfigOption<Duration> LIMITS_EXTRACT_TIMEOUT = ConfigOptions.key("ingest.limits.extract-timeout").durationType().defaultValue(Duration.ofMinutes(5))
            .withDeprecatedKeys("limits.extract-timeout")
            .withDescription("Per-document extraction time budget, checked between pages and images.");
    public static final ConfigOption<Integer> EXTRACT_MIN_IMAGE_SIDE = ConfigOptions.key("ingest.extract.min-image-side").intType().defaultValue(64)
            .withDeprecatedKeys("extract.min-image-side")
            .withDescription("Embedded images narrower or lower than this (px) are decorations and skipped.");
    public static final ConfigOption<Integer> EXTRACT_MIN_IMAGE_AREA = ConfigOptions.key("ingest.extract.min-image-area").intType().defaultValue(16384)
            .withDeprecatedKeys("extract.min-image-area")
            .withDescription("Embedded images with a smaller area (px) are skipped.");
    public static final ConfigOption<Integer> EXTRACT_SCAN_CHARS_PER_PAGE = ConfigOptions.key("ingest.extract.scan-chars-per-page").intType().defaultValue(32)
            .withDeprecatedKeys("extract.scan-chars-per-page")
            .withDescription("A PDF page with fewer text-layer characters is treated as scanned: rendered and OCR'd.");
    public static final ConfigOption<Integer> EXTRACT_RENDER_DPI = ConfigOptions.key("ingest.extract.render-dpi").intType().defaultValue(150)
            .withDeprecatedKeys("extract.render-dpi")
            .withDescription("Resolution scanned pages are rendered at for OCR.");

    public static final ConfigOption<Boolean> EXTRACT_TABLES = ConfigOptions.key("ingest.extract.tables").booleanType().defaultValue(true)
            .withDescription("Detect tables in PDFs (aligned text columns, ruling lines) and index each as kind=table chunks that "
                    + "keep the header with every row, beside the page text.");
    public static final ConfigOption<Long> LIMITS_MAX_RENDER_PIXELS = ConfigOptions.key("ingest.limits.max-render-pixels").longType().defaultValue(16_000_000L)
            .withDeprecatedKeys("limits.max-render-pixels")
            .withDescription("Pixels of one scanned page rendered for OCR; a larger page is rendered at a lower DPI, and a page that "
                    + "exceeds it even at ingest.limits.min-render-dpi dead-letters the document (LimitExceeded).");
    public static final ConfigOption<Integer> LIMITS_MIN_RENDER_DPI = ConfigOptions.key("ingest.limits.min-render-dpi").intType().defaultValue(72)
            .withDeprecatedKeys("limits.min-render-dpi")
            .withDescription("Lowest DPI a scanned page is rendered at to stay within ingest.limits.max-render-pixels.");
    public static final ConfigOption<MemorySize> LIMITS_PDF_MAX_MAIN_MEMORY = ConfigOptions.key("ingest.limits.pdf-max-main-memory").memoryType()
            .defaultValue(MemorySize.parse("32m"))
            .withDeprecatedKeys("limits.pdf-max-main-memory")
            .withDescription("Heap PDFBox may use per document for decoded streams; beyond it they spill to temp files.");
    public static final ConfigOption<MemorySize> LIMITS_PDF_MAX_STORAGE = ConfigOptions.key("ingest.limits.pdf-max-storage").memoryType()
            .defaultValue(MemorySize.parse("512m"))
            .withDeprecatedKeys("limits.pdf-max-storage")
            .withDescription("Decoded PDF streams per document in total (heap + temp files); more dead-letters the document (LimitExceeded).");
    public static final ConfigOption<Integer> LIMITS_MAX_FORM_DEPTH = ConfigOptions.key("ingest.limits.max-form-depth").intType().defaultValue(32)
            .withDeprecatedKeys("limits.max-form-depth")
            .withDescription("Deepest nesting of form XObjects; deeper (or cyclic) nesting dead-letters the document (LimitExceeded).");
    public static final ConfigOption<MemorySize> LIMITS_MAX_TEXT_BYTES = ConfigOptions.key("ingest.limits.max-text-bytes").memoryType()
            .defaultValue(MemorySize.ofMebiBytes(8))
            .withDescription("Largest text/plain or text/markdown content extracted (e.g. 8m; a plain number is bytes); larger "
                    + "content is dead-lettered (LimitExceeded) before it is decoded. The text, its copies and its chunks "
                    + "take several times its size in heap, on top of the fetched bytes (HTML has a fixed 4 MiB cap).");

    public static final ConfigOption<Integer> LIMITS_MAX_CHUNKS = ConfigOptions.key("ingest.limits.max-chunks").intType().defaultValue(20_000)
            .withDescription("Chunks one document may make; one that would make more is dead-lettered (LimitExceeded) as soon as "
                    + "it passes them. Each chunk costs an embedding (~2 ms of CPU with the in-process model) and an index entry, "
                    + "and text of short headings makes one per line (8 MiB of \"# a\" lines made 2 million). The largest manual "
                    + "measured, 1,335 pages, made 4,077.");

    // ---- OCR ----
    public static final ConfigOption<OcrProvider> OCR_PROVIDER = ConfigOptions.key("ingest.ocr.provider").enumType(OcrProvider.class)
            .defaultValue(OcrProvider.TESSERACT).withDeprecatedKeys("ocr.provider")
            .withDescription("How images become text: tesseract (offline default), vision (OpenAI-compatible chat model) or none.");
    public static final ConfigOption<String> OCR_TESSERACT_COMMAND = ConfigOptions.key("ingest.ocr.tesseract-command").stringType().defaultValue("tesseract")
            .withDeprecatedKeys("ocr.tesseract-command")
            .withDescription("Tesseract executable.");
    public static final ConfigOption<String> OCR_LANGUAGE = ConfigOptions.key("ingest.ocr.language").stringType().defaultValue("eng")
            .withDeprecatedKeys("ocr.language")
            .withDescription("Tesseract language(s), e.g. eng or eng+deu.");
    public static final ConfigOption<Duration> OCR_TIMEOUT = ConfigOptions.key("ingest.ocr.timeout").durationType().defaultValue(Duration.ofSeconds(60))
            .withDeprecatedKeys("ocr.timeout")
            .withDescription("Time limit for reading one image.");
    public static final ConfigOption<Integer> OCR_THREADS = ConfigOptions.key("ingest.ocr.threads").intType().defaultValue(0)
            .withDeprecatedKeys("ocr.threads")
            .withDescription("Images read at once per TaskManager, shared by its OCR subtasks (each tesseract runs with "
                    + "OMP_THREAD_LIMIT=1); 0 = one per core (Runtime.availableProcessors()).");
    public static final ConfigOption<Integer> OCR_CAPACITY = ConfigOptions.key("ingest.ocr.capacity").intType().defaultValue(0)
            .withDeprecatedKeys("ocr.capacity")
            .withDescription("Images (and documents passing through) in flight in the asynchronous OCR operator per subtask; they are "
                    + "its checkpointed state. 0 = 4 x ingest.ocr.threads (at least 8), enough to keep every reader busy while the "
                    + "ordered queue waits for a slow image.");
    public static final ConfigOption<MemorySize> OCR_CACHE_SIZE = ConfigOptions.key("ingest.ocr.cache-size").memoryType()
            .defaultValue(MemorySize.parse("16m"))
            .withDeprecatedKeys("ocr.cache-size")
            .withDescription("Text already read, per TaskManager, keyed by tenant + SHA-256 of the image bytes, so unchanged images "
                    + "of a new version and repeated logos are read once (least recently used evicted; 0 = no cache). "
                    + "Failed reads are not cached.");
    public static final ConfigOption<Duration> OCR_DOCUMENT_TIMEOUT = ConfigOptions.key("ingest.ocr.document-timeout").durationType().defaultValue(Duration.ofMinutes(30))
            .withDeprecatedKeys("ocr.document-timeout")
            .withDescription("Time limit for one image in the asynchronous OCR operator, queueing included; on timeout the document is indexed without that image's text.");
    public static final ConfigOption<Duration> LIMITS_OCR_TIME_PER_DOCUMENT = ConfigOptions.key("ingest.limits.ocr-time-per-document").durationType()
            .defaultValue(Duration.ofMinutes(10))
            .withDeprecatedKeys("limits.ocr-time-per-document")
            .withDescription("OCR time one document's images may take in total (time spent reading them, not waiting for the reader); "
                    + "past it the remaining images are not read and the document is dead-lettered (LimitExceeded).");
    public static final ConfigOption<String> VISION_BASE_URL = ConfigOptions.key("ingest.vision.base-url").stringType().noDefaultValue()
            .withDeprecatedKeys("vision.base-url")
            .withDescription("OpenAI-compatible base URL of the vision model (ingest.ocr.provider=vision).");
    public static final ConfigOption<String> VISION_MODEL = ConfigOptions.key("ingest.vision.model").stringType().noDefaultValue()
            .withDeprecatedKeys("vision.model")
            .withDescription("Vision model name.");
    public static final ConfigOption<String> VISION_API_KEY_ENV = ConfigOptions.key("ingest.vision.api-key-env").stringType().defaultValue("VISION_API_KEY")
            .withDeprecatedKeys("vision.api-key-env")
            .withDescription("Environment variable holding the vision endpoint's API key.");

    // ---- chunking ----
    public static final ConfigOption<Integer> CHUNK_MAX_TOKENS = ConfigOptions.key("ingest.chunk.max-tokens").intType().defaultValue(256)
            .withDeprecatedKeys("chunk.max-tokens")
            .withDescription("Largest chunk in approximate tokens: words x 1.3, where a character of a script written without "
                    + "spaces (Chinese, Japanese, Thai, ...) counts as a token and a run without white space is cut every 256 characters.");
    public static final ConfigOption<Integer> CHUNK_OVERLAP_TOKENS = ConfigOptions.key("ingest.chunk.overlap-tokens").intType().defaultValue(32)
            .withDeprecatedKeys("chunk.overlap-tokens")
            .withDescription("Tokens repeated from the end of one chunk at the start of the next (within a section).");

    public static final ConfigOption<Integer> CHUNK_PAGE_BREAK_MIN_TOKENS = ConfigOptions.key("ingest.chunk.page-break-min-tokens").intType().defaultValue(24)
            .withDeprecatedKeys("chunk.page-break-min-tokens")
            .withDescription("A page boundary closes the current chunk once it holds this many tokens (exact page citations); "
                    + "shorter pages run on into the next page (recorded in page/pageEnd).");

    // ---- embedding ----
    public static final ConfigOption<Integer> EMBED_BATCH_SIZE = ConfigOptions.key("ingest.embed.batch-size").intType().defaultValue(32)
            .withDeprecatedKeys("embed.batch-size")
            .withDescription("Chunks per embedding call; chunks of several documents are batched together.");
    public static final ConfigOption<Duration> EMBED_MAX_DELAY = ConfigOptions.key("ingest.embed.max-delay").durationType().defaultValue(Duration.ofMillis(50))
            .withDeprecatedKeys("embed.max-delay")
            .withDescription("Longest a chunk waits for its batch to fill (a backlog fills batches at once; a trickle only waits).");

    // ---- indexing ----
    public static final ConfigOption<Integer> INDEX_BULK_MAX_CHUNKS = ConfigOptions.key("ingest.index.bulk-max-chunks").intType().defaultValue(256)
            .withDeprecatedKeys("index.bulk-max-chunks")
            .withDescription("Chunks buffered before a flush, and the most chunks in one bulk request.");
    public static final ConfigOption<MemorySize> INDEX_BULK_MAX_BYTES = ConfigOptions.key("ingest.index.bulk-max-bytes").memoryType()
            .defaultValue(MemorySize.ofMebiBytes(8))
            .withDeprecatedKeys("index.bulk-max-bytes")
            .withDescription("Approximate size of one bulk request (e.g. 8m; a plain number is bytes).");
    public static final ConfigOption<Duration> INDEX_BULK_FLUSH_INTERVAL = ConfigOptions.key("ingest.index.bulk-flush-interval").durationType().defaultValue(Duration.ofMillis(20))
            .withDeprecatedKeys("index.bulk-flush-interval")
            .withDescription("Longest a chunk waits in the bulk buffer (part of every document's freshness). An embedding batch arrives "
                    + "at once, so a short wait still writes it as one bulk: 20 ms against 100 ms took freshness p50 from 0.47 to "
                    + "0.40 s with the same refreshes (measured).");
    public static final ConfigOption<Duration> INDEX_REFRESH_AFTER_WRITE = ConfigOptions.key("ingest.index.refresh-after-write").durationType()
            .defaultValue(Duration.ofMillis(200))
            .withDescription("Once a subtask's bulk writes pause for this long, it refreshes the index, so the last chunks written are "
                    + "searchable without waiting for the index's next scheduled refresh (its refresh_interval, 1 s by default): a "
                    + "trickled document, the end of a backlog (freshness p50 ~0.4 s against ~0.8 s, measured). Documents that "
                    + "several filled an embedding batch (a backlog) do not ask for it: a backlog's writes come a burst per batch, "
                    + "further apart than this, and refreshing after each cost ~40 refreshes per 1000 chunks against ~10, about 1 "
                    + "OpenSearch CPU-s per 1000 chunks (measured); its last, partial batch does. 0 leaves all refreshing to the "
                    + "index.");
    public static final ConfigOption<Integer> INDEX_MAX_RETRIES = ConfigOptions.key("ingest.index.max-retries").intType().defaultValue(5)
            .withDeprecatedKeys("index.max-retries")
            .withDescription("Deprecated, no effect (still accepted). It bounded the retries of bulk items OpenSearch rejects with "
                    + "429/503, after which the document was dead-lettered. Now a bulk item rejected with 429 or 5xx (a full write "
                    + "queue, a red index) is retried like a failed request, within ingest.index.retry-budget, and then the job fails "
                    + "and replays from its last checkpoint; only an item error the document caused (another 4xx, e.g. "
                    + "mapper_parsing_exception) dead-letters it, at once.");
    public static final ConfigOption<Duration> INDEX_RETRY_BACKOFF = ConfigOptions.key("ingest.index.retry-backoff").durationType().defaultValue(Duration.ofMillis(200))
            .withDeprecatedKeys("index.retry-backoff")
            .withDescription("First retry backoff (doubles each time, with jitter, up to ingest.index.retry-max-backoff).");
    public static final ConfigOption<Duration> INDEX_RETRY_MAX_BACKOFF = ConfigOptions.key("ingest.index.retry-max-backoff").durationType().defaultValue(Duration.ofSeconds(10))
            .withDeprecatedKeys("index.retry-max-backoff")
            .withDescription("Longest wait between two retries of an OpenSearch request.");
    public static final ConfigOption<Duration> INDEX_RETRY_BUDGET = ConfigOptions.key("ingest.index.retry-budget").durationType().defaultValue(Duration.ofMinutes(5))
            .withDeprecatedKeys("index.retry-budget")
            .withDescription("How long bulk indexing (requests that fail and bulk items rejected with 429 or 5xx), deletes and "
                    + "version lookups keep retrying an unreachable or failing OpenSearch, one budget for all the requests of a flush "
                    + "(or of a DELETE) whose retries stop when another wait would leave less than the longest request (71 s; at most "
                    + "half the budget) before the budget ends, "
                    + "and the embedder a remote embedding provider (embedding.provider openai or ollama: I/O errors, timeouts, HTTP "
                    + "408, 429, 5xx; its retries stop 2 minutes before the budget ends, or at half of it, so its last call, at most "
                    + "2 x 60 s, ends before the checkpoint times out), holding their "
                    + "documents and back-pressuring the source, before the job fails and restarts from its last checkpoint. "
                    + "Checkpoints wait for it: the job's checkpoint timeout is raised to at least this plus 2 minutes. Two such "
                    + "checkpoints may pass before a sink transaction is committed, so with the broker's 15 min cap on transactions "
                    + "(ingest.sink.transaction-timeout) the job refuses to start above about 5 min 25 s (10 min until this default "
                    + "changed: a transaction could outlive the cap and the outcomes it held be lost).");
    public static final ConfigOption<Integer> INDEX_SHARDS = ConfigOptions.key("ingest.index.shards").intType().defaultValue(1)
            .withDeprecatedKeys("index.shards")
            .withDescription("Shards of the chunk index when the job creates it.");
    public static final ConfigOption<Integer> INDEX_REPLICAS = ConfigOptions.key("ingest.index.replicas").intType().defaultValue(0)
            .withDeprecatedKeys("index.replicas")
            .withDescription("Replicas of the chunk index when the job creates it.");
    public static final ConfigOption<Boolean> INDEX_VERSION_LOOKUP = ConfigOptions.key("ingest.index.version-lookup").booleanType().defaultValue(true)
            .withDeprecatedKeys("index.version-lookup")
            .withDescription("When the version state of a document is empty, look up its indexed version in OpenSearch.");
    public static final ConfigOption<Integer> INDEX_VERSION_LOOKUP_BATCH_SIZE = ConfigOptions.key("ingest.index.version-lookup-batch-size").intType()
            .defaultValue(64)
            .withDescription("Documents whose indexed versions one request looks up (a backlog fills batches). Measured: one search "
                    + "per document cost OpenSearch 0.9-1.4 CPU-ms each, one for 64 documents 0.04-0.11 CPU-ms per document.");
    public static final ConfigOption<Duration> INDEX_VERSION_LOOKUP_MAX_DELAY = ConfigOptions.key("ingest.index.version-lookup-max-delay").durationType()
            .defaultValue(Duration.ofMillis(10))
            .withDescription("Longest a document waits for others to share its version lookup (part of every document's freshness).");

    // ---- progress ----
    public static final ConfigOption<Duration> PROGRESS_LOG_INTERVAL = ConfigOptions.key("ingest.progress-log-interval").durationType()
            .defaultValue(Duration.ofSeconds(10)).withDescription("How often progress (done/total) is logged.");

    private IngestOptions() {}

    /** Each tenant's rate of documents, from {@code ingest.tenant.*} (checked: a bad value names its key). */
    public static TenantRate tenantRate(Configuration conf) {
        return TenantRate.from(conf, TENANT_DOCUMENT_RATE, TENANT_BURST, TENANT_MAX_WAITING, TENANT_MAX_WAITING_BYTES,
                TENANT_MAX_WAITING_TOTAL, TENANT_MAX_WAITING_BYTES_TOTAL);
    }

    /**
     * How OpenSearch requests are retried through an outage: backoff up to ingest.index.retry-max-backoff within
     * ingest.index.retry-budget, keeping time for the last request ({@link OpenSearchClients#longestCall()}, at most half
     * the budget), so the requests of a flush that share it ({@link Backoff#start()}), the last one included, end
     * within the budget and before the checkpoint timeout (the budget + 2 min, see IngestJob.configure).
     */
    public static Backoff openSearchBackoff(Configuration conf) {
        return retryBackoff(conf).withLastCall(OpenSearchClients.longestCall());
    }

    /** Backoff up to ingest.index.retry-max-backoff within ingest.index.retry-budget. */
    private static Backoff retryBackoff(Configuration conf) {
        return Backoff.of(conf.get(INDEX_RETRY_BACKOFF), conf.get(INDEX_RETRY_MAX_BACKOFF)).withBudget(conf.get(INDEX_RETRY_BUDGET));
    }

    /**
     * How {@code EmbedChunks} retries a remote embedding provider through an outage: the OpenSearch backoff, its budget
     * less the longest call (at least half of it), so a flush that keeps failing, last call included, ends before the
     * checkpoint timeout (ingest.index.retry-budget + 2 min, see IngestJob.configure) that a barrier behind it waits for.
     */
    public static Backoff embedBackoff(Configuration conf) {
        Duration budget = conf.get(INDEX_RETRY_BUDGET);
        Duration lessLastCall = budget.minus(EmbeddingModels.longestRemoteCall());
        Duration half = budget.dividedBy(2);
        return retryBackoff(conf).withBudget(lessLastCall.compareTo(half) > 0 ? lessLastCall : half);
    }

    /**
     * The consumer group of the documents source: {@code ingest.group-id} when set, else its default for the continuous
     * source and {@code streamrag-ingest-kafka-bounded} for a bounded one. A bounded run in the live job's group began
     * at the live job's committed offsets (a re-index then read only what the live job had not) and committed its own
     * into the live group, which the live job starts from when it is started without state.
     */
    public static String groupId(Configuration conf) {
        if (conf.contains(GROUP_ID) || conf.get(SOURCE) != SourceKind.KAFKA_BOUNDED) {
            return conf.get(GROUP_ID);
        }
        return GROUP_ID.defaultValue() + "-kafka-bounded";
    }

    /**
     * The transactional id prefix of this run's sinks: {@code ingest.sink.transactional-id-prefix} when set, else the
     * default for the continuous source and, for a bounded one, a prefix of its own derived from what identifies the
     * run. A bounded run beside the live job with the live job's prefix fenced its sinks and the two kept restarting
     * each other. Derived, not random: a rerun of the same run (a catch-up, a resubmission) takes the same ids and so
     * aborts the transactions a failed run left open, which would otherwise hold back read_committed readers of the
     * topics until the transaction timeout. The sinks' ids never start with the continuous job's sink prefixes
     * ({@code streamrag-ingest-dlq}, {@code -outcomes}), which the Kafka sink's abort by listing matches by prefix.
     */
    public static String transactionalIdPrefix(Configuration conf) {
        if (conf.contains(SINK_TRANSACTIONAL_ID_PREFIX) || conf.get(SOURCE) == SourceKind.KAFKA) {
            return conf.get(SINK_TRANSACTIONAL_ID_PREFIX);
        }
        String base = SINK_TRANSACTIONAL_ID_PREFIX.defaultValue() + "-" + conf.get(SOURCE);
        if (conf.get(SOURCE) == SourceKind.KAFKA_BOUNDED) {
            // The hash keeps apart group ids that idPart maps alike (a/b and a_b, a long common start), whose runs
            // would fence each other's sinks.
            return base + "-" + idPart(conf.get(GROUP_ID)) + "-" + sha256Hex(conf.get(GROUP_ID)).substring(0, 8);
        }
        String path = conf.getOptional(PATH).orElse("");
        String folder = path.replaceAll("[/\\\\]+$", "");
        folder = folder.substring(Math.max(folder.lastIndexOf('/'), folder.lastIndexOf('\\')) + 1);
        return base + "-" + idPart(conf.get(TENANT)) + "-" + idPart(folder) + "-" + sha256Hex(path).substring(0, 8);
    }

    /** {@code value} as part of a transactional id: [A-Za-z0-9._-] kept, anything else '_', at most 64 characters. */
    private static String idPart(String value) {
        String part = value == null ? "" : value.replaceAll("[^A-Za-z0-9._-]", "_");
        return part.length() > 64 ? part.substring(0, 64) : part;
    }

    private static String sha256Hex(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * The checkpoint interval of a run that sets neither {@code ingest.checkpoint-interval} nor Flink's
     * {@code execution.checkpointing.interval}: {@code ingest.bounded.checkpoint-interval} for a bounded source, else
     * the continuous default.
     */
    public static Duration defaultCheckpointInterval(Configuration conf) {
        return conf.get(SOURCE) != SourceKind.KAFKA ? conf.get(BOUNDED_CHECKPOINT_INTERVAL) : CHECKPOINT_INTERVAL.defaultValue();
    }
}
