package io.streamrag.ingest;

import io.streamrag.common.config.ConfigKeys;
import io.streamrag.common.config.Configs;
import io.streamrag.common.config.OptionChecks;
import io.streamrag.common.embedding.EmbeddingSettings;
import io.streamrag.common.kafka.ExactlyOnceCheckpoints;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.tenancy.TenantRate;
import io.streamrag.ingest.extract.Chunker;
import io.streamrag.ingest.extract.ExtractionLimits;
import io.streamrag.ingest.extract.OcrSettings;
import io.streamrag.ingest.fetch.FetchSettings;
import io.streamrag.ingest.functions.AssembleDocument;
import io.streamrag.ingest.functions.ChunkDocument;
import io.streamrag.ingest.functions.DeadLetterOutcome;
import io.streamrag.ingest.functions.EmbedChunks;
import io.streamrag.ingest.functions.ExtractContent;
import io.streamrag.ingest.functions.FetchContent;
import io.streamrag.ingest.functions.IndexChunks;
import io.streamrag.ingest.functions.OcrImages;
import io.streamrag.ingest.functions.ParseDocumentEvent;
import io.streamrag.ingest.functions.Quarantine;
import io.streamrag.ingest.functions.TenantAdmission;
import io.streamrag.ingest.functions.TrackOutcomes;
import io.streamrag.ingest.functions.VersionGate;
import io.streamrag.ingest.functions.VersionLookup;
import io.streamrag.ingest.health.ProbeSettings;
import io.streamrag.ingest.index.IndexSettings;
import io.streamrag.ingest.pipeline.DeadLetters;
import io.streamrag.ingest.pipeline.IngestSinks;
import io.streamrag.ingest.pipeline.IngestSources;
import io.streamrag.ingest.records.ChunkedDocument;
import io.streamrag.ingest.records.DocumentOutcome;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.FailedDocument;
import io.streamrag.ingest.records.FetchedDocument;
import io.streamrag.ingest.records.OcrItem;
import io.streamrag.ingest.records.RawDocument;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The ingest pipeline: document events → parse/validate → version gate (keyed by tenant and documentId) → fetch → extract
 * → OCR (async) → chunk → embed (batched) → index in OpenSearch, with dead letters of every stage on one Kafka
 * topic and every event's outcome on another, both exactly-once. Sources and sinks come in through the constructor.
 */
public class IngestJob {
    private static final Logger LOG = LoggerFactory.getLogger(IngestJob.class);

    public static final String JOB_NAME = "streamrag-ingest";

    private final Source<RawDocument, ?, ?> source;
    private final String sourceName;
    private final Sink<FailedDocument> deadLetterSink;
    private final Sink<DocumentOutcome> outcomeSink;
    private final Configuration conf;
    private final long expectedTotal;
    private final String fetchRoot;

    /**
     * @param expectedTotal events a bounded source will deliver (for progress), or -1 when unknown/unbounded
     */
    public IngestJob(Source<RawDocument, ?, ?> source, String sourceName, Sink<FailedDocument> deadLetterSink,
                     Sink<DocumentOutcome> outcomeSink, Configuration conf, long expectedTotal) {
        this(source, sourceName, deadLetterSink, outcomeSink, conf, expectedTotal, null);
    }

    /**
     * @param expectedTotal events a bounded source will deliver (for progress), or -1 when unknown/unbounded
     * @param fetchRoot     a local path the fetch step may read besides ingest.allowed-roots (the files source's
     *                      folder, {@link IngestSources#fetchRoot()}), or null
     */
    public IngestJob(Source<RawDocument, ?, ?> source, String sourceName, Sink<FailedDocument> deadLetterSink,
                     Sink<DocumentOutcome> outcomeSink, Configuration conf, long expectedTotal, String fetchRoot) {
        this.fetchRoot = fetchRoot;
        this.source = source;
        this.sourceName = sourceName;
        this.deadLetterSink = deadLetterSink;
        this.outcomeSink = outcomeSink;
        this.conf = conf;
        this.expectedTotal = expectedTotal;
    }

    /**
     * Adds the pipeline to {@code env}, configured by {@link #configure} first; returns the stream of outcomes (one per
     * document event).
     */
    public DataStream<DocumentOutcome> build(StreamExecutionEnvironment env) {
        if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            throw new IllegalStateException("Checkpointing is off: call IngestJob.configure(env, conf) first "
                    + "(the exactly-once sinks commit on checkpoints)");
        }

        IndexSettings index = IndexSettings.from(conf);

        DataStream<RawDocument> raw = env.fromSource(source, WatermarkStrategy.noWatermarks(), sourceName)
                .uid("documents-source").name(sourceName);

        SingleOutputStreamOperator<DocumentTask> parsed = raw.process(new ParseDocumentEvent())
                .uid("parse").name("Parse and validate");

        // The index's versions, for documents the gate's state does not know: asked a batch at a time.
        SingleOutputStreamOperator<DocumentTask> looked = !conf.get(IngestOptions.INDEX_VERSION_LOOKUP) ? parsed : parsed
                .transform("Version lookup", TypeInformation.of(DocumentTask.class), new VersionLookup(index,
                        conf.get(IngestOptions.INDEX_VERSION_LOOKUP_BATCH_SIZE), conf.get(IngestOptions.INDEX_VERSION_LOOKUP_MAX_DELAY)))
                .uid("version-lookup").name("Version lookup");

        // Keyed early: all versions of a document meet in one subtask, in order, from here to the index. The key is
        // tenant + documentId: the same documentId in two tenants is two documents.
        SingleOutputStreamOperator<DocumentTask> gated = looked
                .keyBy(DocumentTask::key)
                .process(new VersionGate().stateTtl(conf.get(IngestOptions.VERSION_STATE_TTL)))
                .uid("version-gate").name("Version gate");

        // Each tenant's rate, when set: one tenant's backlog waits in its own queue, not in the shared capacity below.
        // In its own operator, which counts all tenants' waiting documents again after a restore (their ceiling).
        // Not on a bounded run: it ends with its input, and what still waited for a timer would never be released.
        TenantRate tenantRate = IngestOptions.tenantRate(conf);
        SingleOutputStreamOperator<DocumentTask> rated = gated;
        if (tenantRate.enabled() && source.getBoundedness() == Boundedness.CONTINUOUS_UNBOUNDED) {
            rated = gated
                    .keyBy(t -> t.tenant == null ? "" : t.tenant, Types.STRING)
                    .transform("Tenant admission (documents/s per tenant)", TypeInformation.of(DocumentTask.class),
                            new TenantAdmission(tenantRate).operator())
                    .uid("tenant-admission").name("Tenant admission (documents/s per tenant)");
        } else if (tenantRate.enabled()) {
            LOG.info("{} is not applied to a bounded run", IngestOptions.TENANT_DOCUMENT_RATE.key());
        }

        // Poison quarantine: after a restore, replayed documents wait for a checkpoint that records their attempt. It
        // probes OpenSearch and a remote embedding endpoint, so an outage's failures are not counted against them.
        int maxAttempts = conf.get(IngestOptions.QUARANTINE_MAX_ATTEMPTS);
        SingleOutputStreamOperator<DocumentTask> quarantined = maxAttempts <= 0 ? null : rated
                .keyBy(DocumentTask::key)
                .transform("Quarantine", TypeInformation.of(DocumentTask.class),
                        new Quarantine(maxAttempts, conf.get(IngestOptions.QUARANTINE_MODE), ProbeSettings.from(conf)))
                .uid("quarantine").name("Quarantine");
        // Without the quarantine, keyed by document again after the rate (keyed by tenant): forwarded, all of a tenant's
        // documents would be fetched, extracted and read on the one subtask its name hashes to.
        DataStream<DocumentTask> admitted = quarantined != null ? quarantined
                : rated == gated ? gated : rated.keyBy(DocumentTask::key);

        SingleOutputStreamOperator<FetchedDocument> fetched = admitted.process(new FetchContent(FetchSettings.from(conf, fetchRoot)))
                .uid("fetch").name("Fetch content");

        // Extraction emits the document without image bytes, then one record per image, through OCR (ordered, so two
        // versions of one document never overtake each other): the async operator's checkpointed queue then holds at
        // most ingest.ocr.capacity images, not whole documents.
        SingleOutputStreamOperator<OcrItem> items = fetched.process(new ExtractContent(ExtractionLimits.from(conf)))
                .uid("extract").name("Extract text and images");
        OcrSettings ocr = OcrSettings.from(conf);
        // At least 1 ms: Flink's async operator takes 0 for no timeout at all, which the assembler's idle timeout below
        // does not allow for.
        Duration ocrDocumentTimeout = OptionChecks.atLeast(conf, IngestOptions.OCR_DOCUMENT_TIMEOUT, Duration.ofMillis(1));
        SingleOutputStreamOperator<OcrItem> read = AsyncDataStream.orderedWait(
                        items,
                        new OcrImages(ocr, ocrDocumentTimeout),
                        ocrDocumentTimeout.toMillis(), TimeUnit.MILLISECONDS,
                        ocr.capacity())
                .uid("ocr-images").name("Read images (OCR)");
        SingleOutputStreamOperator<ExtractedDocument> ocred = read
                .keyBy(i -> i.documentKey)
                // Idle long enough for any image's OCR (its timeout) behind an OpenSearch outage, twice over.
                .process(new AssembleDocument().idleTimeout(ocrDocumentTimeout
                        .plus(conf.get(IngestOptions.INDEX_RETRY_BUDGET)).multipliedBy(2)))
                .uid("assemble").name("Assemble document");

        SingleOutputStreamOperator<ChunkedDocument> chunked = ocred
                .process(new ChunkDocument(new Chunker(conf.get(IngestOptions.CHUNK_MAX_TOKENS), conf.get(IngestOptions.CHUNK_OVERLAP_TOKENS),
                        conf.get(IngestOptions.CHUNK_PAGE_BREAK_MIN_TOKENS), conf.get(IngestOptions.LIMITS_MAX_CHUNKS))))
                .uid("chunk").name("Chunk");

        SingleOutputStreamOperator<ChunkedDocument> embedded = chunked
                .transform("Embed chunks", TypeInformation.of(ChunkedDocument.class),
                        new EmbedChunks(EmbeddingSettings.from(conf), conf.get(IngestOptions.EMBED_BATCH_SIZE), conf.get(IngestOptions.EMBED_MAX_DELAY).toMillis(),
                                IngestOptions.embedBackoff(conf)))
                .uid("embed").name("Embed chunks");

        // Its own task (thread): a bulk request waits for OpenSearch, and chained behind the embedder that wait left
        // the shared ONNX threads idle whenever both subtasks were indexing at once.
        SingleOutputStreamOperator<DocumentOutcome> indexed = embedded
                .transform("Index in OpenSearch", TypeInformation.of(DocumentOutcome.class), new IndexChunks(index))
                .startNewChain()
                .uid("index").name("Index in OpenSearch");

        List<DataStream<FailedDocument>> stageDeadLetters = new ArrayList<>(List.of(
                fetched.getSideOutput(DeadLetters.TAG),
                items.getSideOutput(DeadLetters.TAG),
                ocred.getSideOutput(DeadLetters.TAG), // versions whose images never all came back
                chunked.getSideOutput(DeadLetters.TAG),
                embedded.getSideOutput(DeadLetters.TAG),
                indexed.getSideOutput(DeadLetters.TAG)));
        if (quarantined != null) {
            stageDeadLetters.add(quarantined.getSideOutput(DeadLetters.TAG));
        }
        if (rated != gated) { // tenant admission
            stageDeadLetters.add(rated.getSideOutput(DeadLetters.TAG));
        }
        DataStream<FailedDocument> deadLetters = parsed.getSideOutput(DeadLetters.TAG);
        for (DataStream<FailedDocument> stage : stageDeadLetters) {
            deadLetters = deadLetters.union(stage);
        }
        deadLetters.sinkTo(deadLetterSink).uid("dead-letter-sink").name("Dead letters");

        DataStream<DocumentOutcome> outcomes = indexed.union(
                gated.getSideOutput(DeadLetters.OUTCOMES),
                ocred.getSideOutput(DeadLetters.OUTCOMES), // versions overtaken by a newer one after a rescale: stale
                deadLetters.map(new DeadLetterOutcome()).uid("dead-letter-outcome").name("Dead letter outcome"));
        SingleOutputStreamOperator<DocumentOutcome> tracked = outcomes
                .process(new TrackOutcomes(expectedTotal, conf.get(IngestOptions.PROGRESS_LOG_INTERVAL).toMillis()))
                .setParallelism(1)
                .uid("outcomes").name("Track outcomes");
        tracked.sinkTo(outcomeSink).setParallelism(1).uid("outcome-sink").name("Outcomes");
        return tracked;
    }

    /** Builds and runs the job, named {@code pipeline.name} if configured, else {@value #JOB_NAME}. */
    public JobExecutionResult execute(StreamExecutionEnvironment env) throws Exception {
        build(env);
        return env.execute(conf.getOptional(PipelineOptions.NAME).orElse(JOB_NAME));
    }

    /** Builds the job the configuration describes (source, dead-letter sink), for main or a launcher. */
    public static IngestJob fromConfiguration(Configuration conf) throws IOException {
        OpenSearchClients.settings(conf);   // a user without a password (or unreadable TLS files) fails here, at start
        IngestSources sources = IngestSources.fromConfiguration(conf);
        return new IngestJob(sources.source(), sources.name(), IngestSinks.deadLetterSink(conf), IngestSinks.outcomeSink(conf),
                sources.conf(), sources.expectedTotal(), sources.fetchRoot());
    }

    /**
     * Parallelism, buffer timeout and checkpointing from the ingest options: the one place every entry point (main, tests, benchmarks,
     * launchers) takes them from, called before {@link #build}.
     */
    public static void configure(StreamExecutionEnvironment env, Configuration conf) {
        int parallelism = conf.get(IngestOptions.PARALLELISM);
        if (parallelism > 0) {
            env.setParallelism(parallelism);
        }
        env.setBufferTimeout(conf.get(IngestOptions.BUFFER_TIMEOUT).toMillis());
        ExactlyOnceCheckpoints.enable(env, conf, IngestOptions.CHECKPOINT_INTERVAL, IngestOptions.defaultCheckpointInterval(conf));
        // An OpenSearch outage is waited out on the task thread (IndexChunks, VersionLookup): the barrier waits with it,
        // so a checkpoint must be allowed to take the whole retry budget instead of timing out and failing the job. Each
        // flush has one budget for all its requests, the last one included (Backoff.withLastCall): the 2 minutes are
        // for the barrier to reach the operator, and for a first request a flush still makes after its budget is spent.
        // Set as well when not configured: Flink's 10 min default, longer than that, would keep the sinks' transactions
        // open past the broker's cap (the check below).
        long checkpointTimeout = conf.get(IngestOptions.INDEX_RETRY_BUDGET).plusMinutes(2).toMillis();
        if (env.getConfiguration().getOptional(CheckpointingOptions.CHECKPOINTING_TIMEOUT).isEmpty()
                || env.getCheckpointConfig().getCheckpointTimeout() < checkpointTimeout) {
            env.getCheckpointConfig().setCheckpointTimeout(checkpointTimeout);
        }
        if (conf.contains(IngestOptions.INDEX_MAX_RETRIES)) {
            LOG.warn("{} is deprecated and has no effect: bulk items OpenSearch rejects with 429 or 5xx are retried within {}, "
                    + "then the job fails over", IngestOptions.INDEX_MAX_RETRIES.key(), IngestOptions.INDEX_RETRY_BUDGET.key());
        }
        ExactlyOnceCheckpoints.requireTransactionsOutlive(env.getCheckpointConfig(), IngestOptions.SINK_TRANSACTION_TIMEOUT, conf,
                "Lower " + IngestOptions.INDEX_RETRY_BUDGET.key() + " (the checkpoint timeout is raised to it + 2 min) or "
                        + "execution.checkpointing.tolerable-failed-checkpoints");
    }

    /** Entry point of the job jar on a cluster ({@code flink run}, REST jar run, the Kubernetes operator). */
    public static void main(String[] args) throws Exception {
        Configuration conf = Configs.fromArgs(args, ConfigKeys.forJob(IngestOptions.class));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        configure(env, conf);
        fromConfiguration(conf).execute(env);
    }
}
