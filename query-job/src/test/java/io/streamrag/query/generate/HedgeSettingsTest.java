package io.streamrag.query.generate;

import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The hedge delay taken from an endpoint's observed latencies: percentile, capped at a multiple of the median. */
class HedgeSettingsTest {

    private static EndpointHealth health(long... latencies) {
        EndpointHealth h = new EndpointHealth(EndpointSpec.parse("e=openai,http://127.0.0.1:1/v1,extractive"),
                HealthSettings.from(new Configuration()));
        for (long l : latencies) {
            h.recordLatency(l);
        }
        return h;
    }

    /** 100 calls: 90 of 100 ms and every tenth one 1,000 ms. */
    private static long[] tenPercentSlow() {
        long[] l = new long[100];
        for (int i = 0; i < l.length; i++) {
            l[i] = i % 10 == 0 ? 1_000 : 100;
        }
        return l;
    }

    @Test
    void tenPercentSlowCallsAreHedgedAtTwiceTheMedianNotAtTheSlowP95() {
        HedgeSettings s = HedgeSettings.from(new Configuration());
        try (EndpointHealth h = health(tenPercentSlow())) {
            assertThat(h.latencyPercentile(95)).isEqualTo(1_000); // p95 is itself a slow call
            assertThat(s.delayFor(h)).isEqualTo(200);
        }
    }

    @Test
    void aTightDistributionKeepsItsPercentile() {
        long[] l = new long[100];
        for (int i = 0; i < l.length; i++) {
            l[i] = 100 + i / 5; // 100..119 ms
        }
        HedgeSettings s = HedgeSettings.from(new Configuration());
        try (EndpointHealth h = health(l)) {
            assertThat(s.delayFor(h)).isEqualTo(h.latencyPercentile(95)).isEqualTo(118);
        }
    }

    @Test
    void factorZeroMeansThePercentileAloneAndAFixedDelayWins() {
        Configuration conf = new Configuration();
        conf.set(QueryOptions.HEDGE_MEDIAN_FACTOR, 0.0);
        try (EndpointHealth h = health(tenPercentSlow())) {
            assertThat(HedgeSettings.from(conf).delayFor(h)).isEqualTo(1_000);
            conf.set(QueryOptions.HEDGE_DELAY, Duration.ofMillis(300));
            assertThat(HedgeSettings.from(conf).delayFor(h)).isEqualTo(300);
        }
    }

    @Test
    void noDelayBeforeEnoughCallsOrWhenOff() {
        Configuration conf = new Configuration();
        try (EndpointHealth h = health(100, 100, 100)) {
            assertThat(HedgeSettings.from(conf).delayFor(h)).isEqualTo(-1);
        }
        conf.set(QueryOptions.HEDGE_ENABLED, false);
        try (EndpointHealth h = health(tenPercentSlow())) {
            assertThat(HedgeSettings.from(conf).delayFor(h)).isEqualTo(-1);
        }
    }
}
