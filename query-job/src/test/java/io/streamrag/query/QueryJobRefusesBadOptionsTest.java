package io.streamrag.query;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Options the operators would only meet on a TaskManager (an async operator's capacity, the retrieval threads, the
 * dedup TTL) are refused when the job is built, naming the key: at open() they failed the job at every restart.
 */
class QueryJobRefusesBadOptionsTest {

    private static void build(Configuration conf) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        QueryJob.configure(env, conf);
        QueryJob.fromConfiguration(conf).build(env);
    }

    @Test
    void theDefaultsBuild() {
        assertThatCode(() -> build(new Configuration())).doesNotThrowAnyException();
        assertThatCode(() -> build(new Configuration().set(QueryOptions.ADAPTIVE, true))).doesNotThrowAnyException();
    }

    @Test
    void anAsyncCapacityBelowOneIsRefused() {
        for (int capacity : new int[] {0, -1}) {
            assertThatThrownBy(() -> build(new Configuration().set(QueryOptions.RETRIEVE_CAPACITY, capacity)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("query.retrieve.capacity must be at least 1, was " + capacity);
            assertThatThrownBy(() -> build(new Configuration().set(QueryOptions.GENERATE_CAPACITY, capacity)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("query.generate.capacity must be at least 1, was " + capacity);
            assertThatThrownBy(() -> build(new Configuration().set(QueryOptions.GENERATE_CAPACITY, capacity)
                    .set(QueryOptions.ADAPTIVE, true)))
                    .hasMessageContaining("query.generate.capacity");
        }
    }

    @Test
    void noRetrievalThreadsAreRefused() {
        assertThatThrownBy(() -> build(new Configuration().set(QueryOptions.RETRIEVE_THREADS, 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("query.retrieve.threads must be at least 1, was 0");
    }

    /** Flink's state TTL takes whole milliseconds and at least one. */
    @Test
    void aDedupTtlUnderAMillisecondIsRefused() {
        for (Duration ttl : new Duration[] {Duration.ZERO, Duration.ofNanos(500_000), Duration.ofMillis(-5)}) {
            assertThatThrownBy(() -> build(new Configuration().set(QueryOptions.DEDUP_TTL, ttl))).as(ttl.toString())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("query.dedup.ttl must be at least 1 ms, was ");
        }
        assertThatCode(() -> build(new Configuration().set(QueryOptions.DEDUP_TTL, Duration.ofMillis(1))))
                .doesNotThrowAnyException();
    }
}
