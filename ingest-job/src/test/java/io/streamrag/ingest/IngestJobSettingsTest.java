package io.streamrag.ingest;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.IllegalConfigurationException;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A bad setting is refused when the job is configured and built (what every entry point does, nothing runs or
 * connects), with a message naming its key and what it may be: before, these passed the submission and then failed an
 * operator's open() at every restart, or dead-lettered every document.
 */
class IngestJobSettingsTest {

    /** {@code settings}: key=value pairs separated by ';'. */
    private static Configuration conf(String settings) {
        Configuration conf = new Configuration();
        for (String setting : settings.split(";")) {
            int eq = setting.indexOf('=');
            conf.setString(setting.substring(0, eq).strip(), setting.substring(eq + 1).strip());
        }
        return conf;
    }

    private static void build(Configuration conf) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        IngestJob.configure(env, conf);
        IngestJob.fromConfiguration(conf).build(env);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // EmbedChunks.open (EmbeddingModels.create) failed at every restart
            "embedding.provider=openai; embedding.model=m | Option 'embedding.base-url' is required for embedding provider OPENAI",
            "embedding.provider=ollama; embedding.base-url=http://127.0.0.1:11434 | Option 'embedding.model' is required for embedding provider OLLAMA",
            // the quarantine's probe (URI.create) failed at every restore
            "embedding.provider=openai; embedding.base-url=127.0.0.1:8000/v1; embedding.model=m | Option 'embedding.base-url' must be an http(s) URL",
            // OcrImages.open (VisionReader.create) failed at every restart
            "ingest.ocr.provider=vision | ingest.ocr.provider=vision needs ingest.vision.base-url and ingest.vision.model",
            "ingest.ocr.provider=vision; ingest.vision.base-url=http://127.0.0.1:11434/v1 | ingest.ocr.provider=vision needs ingest.vision.base-url and ingest.vision.model",
            "ingest.ocr.provider=vision; ingest.vision.base-url=ollama:11434; ingest.vision.model=v | Option 'ingest.vision.base-url' must be an http(s) URL",
            // the probe's HTTP client (a 0 connect timeout) failed the quarantine's open() at every restore
            "embedding.provider=openai; embedding.base-url=http://127.0.0.1:8000/v1; embedding.model=m; ingest.quarantine.probe-timeout=0 ms | ingest.quarantine.probe-timeout must be at least 100 ms, was 0 ms",
            // the index could not be created, or took no vector of the model: every write failed
            "embedding.dimension=768 | embedding.dimension must be 384 with embedding provider ONNX",
            "embedding.provider=openai; embedding.base-url=http://127.0.0.1:8000/v1; embedding.model=m; embedding.dimension=20000 | embedding.dimension must be between 1 and 16000, was 20000",
            "ingest.index.shards=0 | ingest.index.shards must be at least 1, was 0",
            "ingest.index.replicas=-1 | ingest.index.replicas must be at least 0, was -1",
            // every fetch, read or extraction timed out at once: every document dead-lettered (or indexed without its images' text)
            "ingest.fetch.total-timeout=0 ms | ingest.fetch.total-timeout must be at least 1 ms, was 0 ms",
            "ingest.fetch.http-timeout=0 ms | ingest.fetch.http-timeout must be at least 1 ms, was 0 ms",
            "ingest.limits.extract-timeout=0 ms | ingest.limits.extract-timeout must be at least 1 ms, was 0 ms",
            "ingest.ocr.timeout=0 ms | ingest.ocr.timeout must be at least 1 ms, was 0 ms",
            "ingest.limits.ocr-time-per-document=0 ms | ingest.limits.ocr-time-per-document must be at least 1 ms, was 0 ms",
            "ingest.ocr.document-timeout=0 ms | ingest.ocr.document-timeout must be at least 1 ms, was 0 ms",
    })
    void aBadSettingIsRefusedWhenTheJobIsBuilt(String settings, String message) {
        assertThatThrownBy(() -> build(conf(settings)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "embedding.provider=openai; embedding.base-url=https://api.example.com/v1; embedding.model=text-embedding-3-small",
            "ingest.ocr.provider=vision; ingest.vision.base-url=http://127.0.0.1:11434/v1; ingest.vision.model=granite3.2-vision",
            "ingest.ocr.provider=tesseract; ingest.vision.base-url=not used",
            // the probe is off: its timeout is not used
            "ingest.quarantine.probe-interval=0 ms; ingest.quarantine.probe-timeout=0 ms",
            "ingest.quarantine.max-attempts=0; ingest.quarantine.probe-timeout=0 ms",
            "ingest.quarantine.probe-interval=30 s; ingest.quarantine.probe-timeout=100 ms",
            "ingest.quarantine.probe-interval=2 s", // the 5 s timeout is longer: probes never overlap (fixed delay)
            "embedding.provider=ollama; embedding.base-url=http://127.0.0.1:11434; embedding.model=nomic-embed-text; embedding.dimension=768; ingest.index.shards=3; ingest.index.replicas=0",
            "ingest.fetch.total-timeout=1 ms; ingest.fetch.http-timeout=1 ms; ingest.limits.extract-timeout=1 ms; ingest.ocr.timeout=1 ms; ingest.ocr.document-timeout=1 ms",
            // 0 is "forever", "off" or "as Flink's" for these
            "ingest.version-state-ttl=0 ms; ingest.index.refresh-after-write=0 ms; ingest.buffer-timeout=0 ms; ingest.checkpoint-interval=0 ms",
    })
    void aGoodSettingIsTaken(String settings) throws Exception {
        build(conf(settings));
        assertThat(settings).isNotEmpty();
    }

    /** Before, the sinks' producers failed at start (InvalidTxnTimeoutException): the job restarted forever. */
    @Test
    void aTransactionTimeoutAboveTheBrokersCapIsRefusedUnlessTheBrokersAllowMore() throws Exception {
        assertThatThrownBy(() -> build(conf("ingest.sink.transaction-timeout=20 min")))
                .isInstanceOf(IllegalConfigurationException.class)
                .hasMessageContaining("ingest.sink.transaction-timeout (20 min) is longer than the brokers' transaction.max.timeout.ms "
                        + "(kafka.transaction-max-timeout=15 min; Kafka's default is 15 min)")
                .hasMessageContaining("set kafka.transaction-max-timeout to their transaction.max.timeout.ms");
        build(conf("ingest.sink.transaction-timeout=20 min; kafka.transaction-max-timeout=1 h"));
    }
}
