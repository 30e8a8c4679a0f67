package io.streamrag.ingest;

import io.streamrag.common.retry.Backoff;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;

import java.time.Duration;
import java.util.List;

/** Every option of the ingest job, with its default; Kafka, topics and OpenSearch come from StreamRagOptions. */
public final class IngestOptions {

    /** Where document events come from. */
    public enum SourceKind {
        /** Continuous: the documents topic, forever. */
        KAFKA,
        /** Backfill: the documents topic up to its end offsets at start, then finish. */
        KAFKA_BOUNDED,
        /** Backfill: every file under {@code ingest.path}, then finish. */
        FILES
    }

    /** How images become text. */
    public enum OcrProvider {
        TESSERACT,
        VISION,
        NONE
    }

    // ---- source ----
    public static final ConfigOption<String> SOURCE = ConfigOptions.key("ingest.source").stringType().defaultValue("kafka")
            .withDescription("Source: kafka (continuous), kafka-bounded (topic up to its current end, then finish) or files (ingest.path, then finish).");
    public static final ConfigOption<String> PATH = ConfigOptions.key("ingest.path").stringType().noDefaultValue()
            .withDescription("Folder (any Flink FileSystem URI or local path) read by the files source; documentId is the relative path.");
    public static final ConfigOption<String> TENANT = ConfigOptions.key("ingest.tenant").stringType().defaultValue("default")
            .withDescription("Tenant of documents read by the files source.");
    public static final ConfigOption<String> GROUP_ID = ConfigOptions.key("ingest.group-id").stringType().defaultValue("streamrag-ingest")
            .withDescription("Kafka consumer group of the documents source (offsets committed on checkpoints).");
    public static final ConfigOption<String> ALLOWED_ROOTS = ConfigOptions.key("ingest.allowed-roots").stringType().defaultValue("")
            .withDescription("Comma-separated local folders file:// URIs may be read from; empty allows none. A folder containing {tenant} "
                    + "is each tenant's own (e.g. /data/{tenant}; tenants outside [A-Za-z0-9._-] are refused). The files source allows its own path.");
    public static final ConfigOption<Boolean> TABLES = ConfigOptions.key("ingest.extract.tables").booleanType().defaultValue(true)
            .withDescription("Detect tables in PDFs (aligned text columns, ruling lines) and index each as kind=table chunks that "
                    + "keep the header with every row, beside the page text.");
    public static final ConfigOption<Integer> PARALLELISM = ConfigOptions.key("ingest.parallelism").intType().defaultValue(-1)
            .withDescription("Parallelism of the job, set by IngestJob.configure; -1 keeps the cluster's default (parallelism.default).");
    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = ConfigOptions.key("ingest.checkpoint-interval").durationType()
            .defaultValue(Duration.ofSeconds(10))
            .withDescription("Checkpoint interval set by IngestJob.configure (0 leaves checkpointing as configured).");

    public static final ConfigOption<Duration> VERSION_STATE_TTL = ConfigOptions.key("ingest.version-state-ttl").durationType()
            .defaultValue(Duration.ofDays(30))
            .withDescription("How long the version gate remembers a document's latest version after its last event (keyed state TTL; 0 = forever). "
                    + "Afterwards the index lookup (index.version-lookup) answers; an event older than a forgotten DELETE is then no longer recognised as stale.");
    public static final ConfigOption<Integer> QUARANTINE_MAX_ATTEMPTS = ConfigOptions.key("ingest.quarantine.max-attempts").intType().defaultValue(2)
            .withDescription("Attempts after which a document during whose processing the job failed each time is dead-lettered "
                    + "(quarantine/PoisonDocument) instead of crash-looping the job. Each document waits for one checkpoint before "
                    + "it is processed (so its attempt marker survives a failure); 0 turns the quarantine and that wait off.");

    // ---- Kafka sinks (dead letters and outcomes, both exactly-once) ----
    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX = ConfigOptions.key("ingest.sink.transactional-id-prefix").stringType()
            .defaultValue("streamrag-ingest")
            .withDescription("Transactional id prefix of the dead-letter and outcome sinks (suffixed -dlq and -outcomes); unique per job.");
    public static final ConfigOption<Duration> TRANSACTION_TIMEOUT = ConfigOptions.key("ingest.sink.transaction-timeout").durationType()
            .defaultValue(Duration.ofMinutes(15))
            .withDescription("transaction.timeout.ms of the exactly-once sinks; the broker caps it (transaction.max.timeout.ms, 15 min by default) "
                    + "and it must outlast a checkpoint interval plus the longest checkpoint.");

    // ---- fetch limits ----
    public static final ConfigOption<Long> MAX_BYTES = ConfigOptions.key("limits.max-bytes").longType().defaultValue(100L * 1024 * 1024)
            .withDescription("Largest document content accepted, in bytes.");
    public static final ConfigOption<Long> MAX_INLINE_BYTES = ConfigOptions.key("limits.max-inline-bytes").longType().defaultValue(10L * 1024 * 1024)
            .withDescription("Largest decoded contentBase64 accepted, in bytes.");
    public static final ConfigOption<Duration> HTTP_TIMEOUT = ConfigOptions.key("fetch.http-timeout").durationType().defaultValue(Duration.ofSeconds(30))
            .withDescription("Connect and response-header timeout of one http(s) request.");
    public static final ConfigOption<Duration> FETCH_TOTAL_TIMEOUT = ConfigOptions.key("fetch.total-timeout").durationType()
            .defaultValue(Duration.ofMinutes(2))
            .withDescription("Total time for one http(s) fetch: every redirect hop and the whole body (a slow-drip server is cut off).");
    public static final ConfigOption<Integer> FETCH_MAX_REDIRECTS = ConfigOptions.key("fetch.max-redirects").intType().defaultValue(5)
            .withDescription("Redirects followed per http(s) fetch; each hop is checked against the fetch policy again.");

    // ---- fetch policy (SSRF): see README "Security / Fetch policy" ----
    public static final ConfigOption<List<String>> FETCH_ALLOWED_SCHEMES = ConfigOptions.key("fetch.allowed-schemes").stringType().asList()
            .defaultValues("file", "http", "https", "s3", "s3a", "s3p", "hdfs", "gs", "abfs", "abfss")
            .withDescription("URI schemes a document event may name; any other scheme is dead-lettered (fetch/Forbidden). "
                    + "file:// is further limited to ingest.allowed-roots, http(s):// to fetch.allowed-hosts.");
    public static final ConfigOption<List<String>> FETCH_ALLOWED_HOSTS = ConfigOptions.key("fetch.allowed-hosts").stringType().asList()
            .defaultValues()
            .withDescription("Host names http(s) URIs may name: exact names, '*.example.com' for subdomains, or '*' for any; "
                    + "empty (the default) allows no http(s) fetch. The resolved addresses must also pass fetch.allowed-addresses.");
    public static final ConfigOption<List<String>> FETCH_ALLOWED_ADDRESSES = ConfigOptions.key("fetch.allowed-addresses").stringType().asList()
            .defaultValues()
            .withDescription("Non-public addresses http(s) fetches may connect to, as ADDRESS[/PREFIX][:PORT] or [IPv6[/PREFIX]][:PORT] "
                    + "(e.g. 10.20.0.0/16, 127.0.0.1:8000). Loopback, private, link-local, unique-local, CGNAT, unspecified, "
                    + "multicast and reserved addresses are refused unless listed; empty (the default) allows only public addresses.");

    // ---- extraction limits ----
    public static final ConfigOption<Integer> MAX_PAGES = ConfigOptions.key("limits.max-pages").intType().defaultValue(5000)
            .withDescription("Documents with more pages are dead-lettered (LimitExceeded).");
    public static final ConfigOption<Integer> MAX_IMAGES = ConfigOptions.key("limits.max-images").intType().defaultValue(300)
            .withDescription("Images read per document; further images are skipped (counted).");
    public static final ConfigOption<Long> MAX_IMAGE_PIXELS = ConfigOptions.key("limits.max-image-pixels").longType().defaultValue(40_000_000L)
            .withDescription("Images whose PDF dictionary declares more pixels are skipped before decoding (decompression bombs); a JPEG "
                    + "whose own header declares more than its dictionary and this limit dead-letters the document (LimitExceeded).");
    public static final ConfigOption<Duration> EXTRACT_TIMEOUT = ConfigOptions.key("limits.extract-timeout").durationType().defaultValue(Duration.ofMinutes(5))
            .withDescription("Per-document extraction time budget, checked between pages and images.");
    public static final ConfigOption<Integer> MIN_IMAGE_SIDE = ConfigOptions.key("extract.min-image-side").intType().defaultValue(64)
            .withDescription("Embedded images narrower or lower than this (px) are decorations and skipped.");
    public static final ConfigOption<Integer> MIN_IMAGE_AREA = ConfigOptions.key("extract.min-image-area").intType().defaultValue(16384)
            .withDescription("Embedded images with a smaller area (px) are skipped.");
    public static final ConfigOption<Integer> SCAN_CHARS_PER_PAGE = ConfigOptions.key("extract.scan-chars-per-page").intType().defaultValue(32)
            .withDescription("A PDF page with fewer text-layer characters is treated as scanned: rendered and OCR'd.");
    public static final ConfigOption<Integer> RENDER_DPI = ConfigOptions.key("extract.render-dpi").intType().defaultValue(150)
            .withDescription("Resolution scanned pages are rendered at for OCR.");

    public static final ConfigOption<Long> MAX_RENDER_PIXELS = ConfigOptions.key("limits.max-render-pixels").longType().defaultValue(16_000_000L)
            .withDescription("Pixels of one scanned page rendered for OCR; a larger page is rendered at a lower DPI, and a page that "
                    + "exceeds it even at limits.min-render-dpi dead-letters the document (LimitExceeded).");
    public static final ConfigOption<Integer> MIN_RENDER_DPI = ConfigOptions.key("limits.min-render-dpi").intType().defaultValue(72)
            .withDescription("Lowest DPI a scanned page is rendered at to stay within limits.max-render-pixels.");
    public static final ConfigOption<MemorySize> PDF_MAX_MAIN_MEMORY = ConfigOptions.key("limits.pdf-max-main-memory").memoryType()
            .defaultValue(MemorySize.parse("32m"))
            .withDescription("Heap PDFBox may use per document for decoded streams; beyond it they spill to temp files.");
    public static final ConfigOption<MemorySize> PDF_MAX_STORAGE = ConfigOptions.key("limits.pdf-max-storage").memoryType()
            .defaultValue(MemorySize.parse("512m"))
            .withDescription("Decoded PDF streams per document in total (heap + temp files); more dead-letters the document (LimitExceeded).");
    public static final ConfigOption<Integer> MAX_FORM_DEPTH = ConfigOptions.key("limits.max-form-depth").intType().defaultValue(32)
            .withDescription("Deepest nesting of form XObjects; deeper (or cyclic) nesting dead-letters the document (LimitExceeded).");

    // ---- OCR ----
    public static final ConfigOption<OcrProvider> OCR_PROVIDER = ConfigOptions.key("ocr.provider").enumType(OcrProvider.class)
            .defaultValue(OcrProvider.TESSERACT).withDescription("How images become text: tesseract (offline default), vision (OpenAI-compatible chat model) or none.");
    public static final ConfigOption<String> TESSERACT_COMMAND = ConfigOptions.key("ocr.tesseract-command").stringType().defaultValue("tesseract")
            .withDescription("Tesseract executable.");
    public static final ConfigOption<String> OCR_LANGUAGE = ConfigOptions.key("ocr.language").stringType().defaultValue("eng")
            .withDescription("Tesseract language(s), e.g. eng or eng+deu.");
    public static final ConfigOption<Duration> OCR_TIMEOUT = ConfigOptions.key("ocr.timeout").durationType().defaultValue(Duration.ofSeconds(60))
            .withDescription("Time limit for reading one image.");
    public static final ConfigOption<Integer> OCR_THREADS = ConfigOptions.key("ocr.threads").intType().defaultValue(0)
            .withDescription("Images read at once per TaskManager, shared by its OCR subtasks (each tesseract runs with "
                    + "OMP_THREAD_LIMIT=1); 0 = one per core (Runtime.availableProcessors()).");
    public static final ConfigOption<Integer> OCR_CAPACITY = ConfigOptions.key("ocr.capacity").intType().defaultValue(0)
            .withDescription("Images (and documents passing through) in flight in the asynchronous OCR operator per subtask; they are "
                    + "its checkpointed state. 0 = 4 x ocr.threads (at least 8), enough to keep every reader busy while the "
                    + "ordered queue waits for a slow image.");
    public static final ConfigOption<MemorySize> OCR_CACHE_SIZE = ConfigOptions.key("ocr.cache-size").memoryType()
            .defaultValue(MemorySize.parse("16m"))
            .withDescription("Text already read, per TaskManager, keyed by tenant + SHA-256 of the image bytes, so unchanged images "
                    + "of a new version and repeated logos are read once (least recently used evicted; 0 = no cache). "
                    + "Failed reads are not cached.");
    public static final ConfigOption<Duration> OCR_DOCUMENT_TIMEOUT = ConfigOptions.key("ocr.document-timeout").durationType().defaultValue(Duration.ofMinutes(30))
            .withDescription("Time limit for one image in the asynchronous OCR operator, queueing included; on timeout the document is indexed without that image's text.");
    public static final ConfigOption<Duration> OCR_TIME_PER_DOCUMENT = ConfigOptions.key("limits.ocr-time-per-document").durationType()
            .defaultValue(Duration.ofMinutes(10))
            .withDescription("OCR time one document's images may take in total (time spent reading them, not waiting for the reader); "
                    + "past it the remaining images are not read and the document is dead-lettered (LimitExceeded).");
    public static final ConfigOption<String> VISION_BASE_URL = ConfigOptions.key("vision.base-url").stringType().noDefaultValue()
            .withDescription("OpenAI-compatible base URL of the vision model (ocr.provider=vision).");
    public static final ConfigOption<String> VISION_MODEL = ConfigOptions.key("vision.model").stringType().noDefaultValue()
            .withDescription("Vision model name.");
    public static final ConfigOption<String> VISION_API_KEY_ENV = ConfigOptions.key("vision.api-key-env").stringType().defaultValue("VISION_API_KEY")
            .withDescription("Environment variable holding the vision endpoint's API key.");

    // ---- chunking ----
    public static final ConfigOption<Integer> CHUNK_MAX_TOKENS = ConfigOptions.key("chunk.max-tokens").intType().defaultValue(256)
            .withDescription("Largest chunk in approximate tokens (words x 1.3).");
    public static final ConfigOption<Integer> CHUNK_OVERLAP_TOKENS = ConfigOptions.key("chunk.overlap-tokens").intType().defaultValue(32)
            .withDescription("Tokens repeated from the end of one chunk at the start of the next (within a section).");

    public static final ConfigOption<Integer> CHUNK_PAGE_BREAK_MIN_TOKENS = ConfigOptions.key("chunk.page-break-min-tokens").intType().defaultValue(24)
            .withDescription("A page boundary closes the current chunk once it holds this many tokens (exact page citations); "
                    + "shorter pages run on into the next page (recorded in page/pageEnd).");

    // ---- embedding ----
    public static final ConfigOption<Integer> EMBED_BATCH_SIZE = ConfigOptions.key("embed.batch-size").intType().defaultValue(32)
            .withDescription("Chunks per embedding call; chunks of several documents are batched together.");
    public static final ConfigOption<Duration> EMBED_MAX_DELAY = ConfigOptions.key("embed.max-delay").durationType().defaultValue(Duration.ofMillis(200))
            .withDescription("Longest a chunk waits for its batch to fill.");

    // ---- indexing ----
    public static final ConfigOption<Integer> BULK_MAX_CHUNKS = ConfigOptions.key("index.bulk-max-chunks").intType().defaultValue(256)
            .withDescription("Chunks buffered before a flush, and the most chunks in one bulk request.");
    public static final ConfigOption<Long> BULK_MAX_BYTES = ConfigOptions.key("index.bulk-max-bytes").longType().defaultValue(8L * 1024 * 1024)
            .withDescription("Approximate bytes per bulk request.");
    public static final ConfigOption<Duration> BULK_FLUSH_INTERVAL = ConfigOptions.key("index.bulk-flush-interval").durationType().defaultValue(Duration.ofMillis(500))
            .withDescription("Longest a chunk waits in the bulk buffer.");
    public static final ConfigOption<Integer> BULK_MAX_RETRIES = ConfigOptions.key("index.max-retries").intType().defaultValue(5)
            .withDescription("Retries of bulk items OpenSearch rejects with 429/503, with exponential backoff; then the document is dead-lettered.");
    public static final ConfigOption<Duration> BULK_RETRY_BACKOFF = ConfigOptions.key("index.retry-backoff").durationType().defaultValue(Duration.ofMillis(200))
            .withDescription("First retry backoff (doubles each time, with jitter, up to index.retry-max-backoff).");
    public static final ConfigOption<Duration> RETRY_MAX_BACKOFF = ConfigOptions.key("index.retry-max-backoff").durationType().defaultValue(Duration.ofSeconds(10))
            .withDescription("Longest wait between two retries of an OpenSearch request.");
    public static final ConfigOption<Duration> RETRY_BUDGET = ConfigOptions.key("index.retry-budget").durationType().defaultValue(Duration.ofMinutes(10))
            .withDescription("How long bulk indexing, deletes and version lookups keep retrying an unreachable or failing OpenSearch "
                    + "(holding their documents, back-pressuring the source) before the job fails and restarts from its last checkpoint. "
                    + "Checkpoints wait for it: the job's checkpoint timeout is raised to at least this plus 2 minutes.");
    public static final ConfigOption<Integer> INDEX_SHARDS = ConfigOptions.key("index.shards").intType().defaultValue(1)
            .withDescription("Shards of the chunk index when the job creates it.");
    public static final ConfigOption<Integer> INDEX_REPLICAS = ConfigOptions.key("index.replicas").intType().defaultValue(0)
            .withDescription("Replicas of the chunk index when the job creates it.");
    public static final ConfigOption<Boolean> VERSION_CHECK_INDEX = ConfigOptions.key("index.version-lookup").booleanType().defaultValue(true)
            .withDescription("When the version state of a document is empty, look up its indexed version in OpenSearch.");

    // ---- progress ----
    public static final ConfigOption<Duration> PROGRESS_LOG_INTERVAL = ConfigOptions.key("ingest.progress-log-interval").durationType()
            .defaultValue(Duration.ofSeconds(10)).withDescription("How often progress (done/total) is logged.");

    private IngestOptions() {}

    /** How OpenSearch requests are retried through an outage: backoff up to index.retry-max-backoff within index.retry-budget. */
    public static Backoff openSearchBackoff(Configuration conf) {
        return Backoff.of(conf.get(BULK_RETRY_BACKOFF), conf.get(RETRY_MAX_BACKOFF)).withBudget(conf.get(RETRY_BUDGET));
    }

    public static SourceKind sourceKind(String value) {
        return SourceKind.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }
}
