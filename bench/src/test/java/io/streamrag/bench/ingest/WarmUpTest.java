package io.streamrag.bench.ingest;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The benchmark's warm-up rule: until the JIT is quiet (capped), or one fixed batch. */
class WarmUpTest {

    @Test
    void jitQuietByDefaultStopsOnceABatchCompiledLittleOrAtTheCaps() {
        IngestBenchmark.WarmUp warmUp = IngestBenchmark.WarmUp.from(new Configuration());
        assertThat(warmUp.untilJitQuiet()).isTrue();
        assertThat(warmUp.done(1, 2_000, 800, 10)).isFalse();   // 2.5 s per 1000 chunks: still compiling
        assertThat(warmUp.done(2, 390, 700, 20)).isFalse();     // 557 ms per 1000 chunks: not below 500
        assertThat(warmUp.done(2, 390, 800, 20)).isTrue();      // 488 ms per 1000 chunks: quiet
        assertThat(warmUp.done(5, 2_000, 800, 50)).isFalse();
        assertThat(warmUp.done(6, 2_000, 800, 50)).isTrue();    // at most 6 batches
        assertThat(warmUp.done(2, 2_000, 800, 60)).isTrue();    // or 60 s
    }

    @Test
    void fixedIsOneBatchAndTheCapsAreOptions() {
        Configuration conf = new Configuration();
        conf.setString("warmup", "fixed");
        assertThat(IngestBenchmark.WarmUp.from(conf).done(1, 5_000, 800, 1)).isTrue();

        conf.setString("warmup", "jit-quiet");
        conf.setString("warmup-jit-ms", "100");
        conf.setString("warmup-max-batches", "5");
        conf.setString("warmup-max-seconds", "600");
        IngestBenchmark.WarmUp warmUp = IngestBenchmark.WarmUp.from(conf);
        assertThat(warmUp.done(4, 300, 800, 100)).isFalse();
        assertThat(warmUp.done(4, 60, 800, 100)).isTrue();
        assertThat(warmUp.done(5, 300, 800, 100)).isTrue();

        conf.setString("warmup", "forever");
        assertThatThrownBy(() -> IngestBenchmark.WarmUp.from(conf)).hasMessageContaining("jit-quiet or fixed");
    }
}
