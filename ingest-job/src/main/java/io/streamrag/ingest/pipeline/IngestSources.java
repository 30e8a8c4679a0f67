package io.streamrag.ingest.pipeline;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.kafka.KafkaClientSettings;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.io.files.BackfillFileEnumerator;
import io.streamrag.ingest.io.files.FileReferenceFormat;
import io.streamrag.ingest.io.kafka.RawDocumentDeserializer;
import io.streamrag.ingest.records.RawDocument;

import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.fs.Path;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The document source the configuration names ({@code ingest.source}): the documents topic, continuous or up to its
 * end offsets, or the files under a folder; with its name, how many events a bounded run will deliver, the
 * configuration the job runs with, and the folder the files source reads (which the fetch step allows).
 */
public final class IngestSources {
    private static final Logger LOG = LoggerFactory.getLogger(IngestSources.class);

    private final Source<RawDocument, ?, ?> source;
    private final String name;
    private final long expectedTotal;
    private final Configuration conf;
    private final String fetchRoot;

    /**
     * @param expectedTotal events a bounded source will deliver (for progress), or -1 when unknown/unbounded
     */
    public IngestSources(Source<RawDocument, ?, ?> source, String name, long expectedTotal, Configuration conf) {
        this(source, name, expectedTotal, conf, null);
    }

    /**
     * @param fetchRoot a local folder (or file) the fetch step may read besides ingest.allowed-roots: the files source's
     *                  own path, or null
     */
    public IngestSources(Source<RawDocument, ?, ?> source, String name, long expectedTotal, Configuration conf, String fetchRoot) {
        this.source = source;
        this.name = name;
        this.expectedTotal = expectedTotal;
        this.conf = conf;
        this.fetchRoot = fetchRoot;
    }

    public Source<RawDocument, ?, ?> source() {
        return source;
    }

    public String name() {
        return name;
    }

    public long expectedTotal() {
        return expectedTotal;
    }

    /** The configuration the job runs with. */
    public Configuration conf() {
        return conf;
    }

    /**
     * The local path the files source reads, which the fetch step allows as it is written (see
     * {@link io.streamrag.ingest.fetch.FetchSettings#from(Configuration, String)}), or null for other sources.
     */
    public String fetchRoot() {
        return fetchRoot;
    }

    /** The source {@code ingest.source} names. */
    public static IngestSources fromConfiguration(Configuration conf) throws IOException {
        IngestOptions.SourceKind kind = conf.get(IngestOptions.SOURCE);
        Source<RawDocument, ?, ?> source;
        String name;
        long total = -1;
        String fetchRoot = null;
        switch (kind) {
            case FILES: {
                String root = conf.get(IngestOptions.PATH);
                if (root == null || root.isBlank()) {
                    throw new IllegalArgumentException("ingest.source=files needs ingest.path");
                }
                Path rootPath = new Path(root);
                if (rootPath.toUri().getScheme() == null) {
                    rootPath = new Path(new java.io.File(root).getAbsoluteFile().toURI());
                }
                source = FileSource.forBulkFileFormat(new FileReferenceFormat(rootPath.toString(), conf.get(IngestOptions.TENANT)), rootPath)
                        .setFileEnumerator(BackfillFileEnumerator::new)
                        .build();
                name = "Files: " + rootPath;
                total = countFiles(rootPath);
                if ("file".equals(rootPath.toUri().getScheme())) {
                    // The backfill folder is allowed by definition. Passed apart from ingest.allowed-roots, whose
                    // commas and {tenant} would split or rewrite a folder named "Q1,Q2" or "{tenant}".
                    fetchRoot = rootPath.toUri().getPath();
                }
                break;
            }
            case KAFKA:
            case KAFKA_BOUNDED: {
                String topic = conf.get(StreamRagOptions.DOCUMENTS_TOPIC);
                KafkaSourceBuilder<RawDocument> b = KafkaSource.<RawDocument>builder()
                        .setProperties(KafkaClientSettings.properties(conf))
                        // Events of a producer's aborted transaction are not documents (the consumer default reads them).
                        .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                        .setTopics(topic)
                        .setGroupId(IngestOptions.groupId(conf))
                        .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                        .setDeserializer(new RawDocumentDeserializer());
                if (kind == IngestOptions.SourceKind.KAFKA_BOUNDED) {
                    b.setBounded(OffsetsInitializer.latest());
                    total = pendingRecords(conf, topic);
                }
                source = b.build();
                name = "Kafka: " + topic;
                break;
            }
            default:
                throw new IllegalArgumentException("Unknown ingest.source " + kind);
        }
        if (total >= 0) {
            LOG.info("Bounded run over {} with {} document events", name, total);
        }
        return new IngestSources(source, name, total, conf, fetchRoot);
    }

    /** Files the files source's enumerator will make splits of: the same listing, so progress counts what it reads. */
    static long countFiles(Path root) throws IOException {
        return BackfillFileEnumerator.list(root).files().size();
    }

    /**
     * Records between the group's committed (or earliest) offsets and the current end, or -1 when unknown. Offsets, not
     * events: on a topic written in transactions it also counts their commit markers and aborted records, which the
     * source skips, so the total is an upper bound there.
     */
    public static long pendingRecords(Configuration conf, String topic) {
        try (Admin admin = Admin.create(KafkaClientSettings.properties(conf))) {
            List<TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(topic).partitions().stream().map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toList());
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.forEach(p -> {
                earliest.put(p, OffsetSpec.earliest());
                latest.put(p, OffsetSpec.latest());
            });
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> start = admin.listOffsets(earliest).all().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(IngestOptions.groupId(conf))
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            long total = 0;
            for (TopicPartition p : partitions) {
                long from = start.get(p).offset();
                OffsetAndMetadata c = committed.get(p);
                if (c != null) {
                    from = Math.max(from, c.offset());
                }
                total += Math.max(0, end.get(p).offset() - from);
            }
            return total;
        } catch (Exception e) {
            LOG.warn("Cannot count the records of {}: {}", topic, e.toString());
            return -1;
        }
    }
}
