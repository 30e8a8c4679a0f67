package io.streamrag.common.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Checks that {@link ComponentMetrics} registers each metric under its exact name on the operator's group. */
class ComponentMetricsTest {

    /** A group that keeps what is registered on it (like Flink's own groups, {@code counter(name)} makes a SimpleCounter). */
    static final class RecordingGroup extends UnregisteredMetricsGroup {
        final Map<String, Metric> metrics = new LinkedHashMap<>();

        @Override
        public Counter counter(String name) {
            return counter(name, new SimpleCounter());
        }

        @Override
        public <C extends Counter> C counter(String name, C counter) {
            metrics.put(name, counter);
            return counter;
        }

        @Override
        public <T, G extends Gauge<T>> G gauge(String name, G gauge) {
            metrics.put(name, gauge);
            return gauge;
        }

        @Override
        public <H extends Histogram> H histogram(String name, H histogram) {
            metrics.put(name, histogram);
            return histogram;
        }
    }

    /** A component with one metric of each kind. */
    static final class SampleMetrics extends ComponentMetrics {
        private static final MetricSpecs SPECS = new MetricSpecs();
        static final MetricSpec<Counter> CALLS = SPECS.counter("calls");
        static final MetricSpec<Counter> SHARED = SPECS.sharedCounter("sharedCalls");
        static final MetricSpec<Histogram> LATENCY = SPECS.histogram("latencyMs", 3);
        static final MetricSpec<Gauge<Integer>> DEPTH = SPECS.gauge("depth");
        int depth = 7;

        SampleMetrics(MetricGroup group) {
            super(group, SPECS);
            gauge(DEPTH, () -> depth);
        }
    }

    @Test
    void registersEveryMetricUnderItsNameAndReturnsTheRegisteredOne() {
        RecordingGroup group = new RecordingGroup();
        SampleMetrics m = new SampleMetrics(group);

        assertThat(group.metrics).containsOnlyKeys("calls", "sharedCalls", "latencyMs", "depth");
        assertThat(group.metrics.get("calls")).isSameAs(m.get(SampleMetrics.CALLS));
        assertThat(group.metrics.get("sharedCalls")).isSameAs(m.get(SampleMetrics.SHARED))
                .isInstanceOf(ThreadSafeSimpleCounter.class);
        assertThat(group.metrics.get("latencyMs")).isSameAs(m.get(SampleMetrics.LATENCY));
        assertThat(group.metrics.get("depth")).isSameAs(m.get(SampleMetrics.DEPTH));

        Histogram latency = m.get(SampleMetrics.LATENCY);
        for (long v = 1; v <= 5; v++) {
            latency.update(v);
        }
        assertThat(latency.getStatistics().size()).as("window of 3").isEqualTo(3);
        assertThat(latency.getStatistics().getMin()).isEqualTo(3);
        m.depth = 9;
        assertThat(((Gauge<?>) group.metrics.get("depth")).getValue()).isEqualTo(9);
    }

    /** A component with a metric of the same name as one of {@link SampleMetrics}. */
    static final class OtherMetrics extends ComponentMetrics {
        private static final MetricSpecs SPECS = new MetricSpecs();
        static final MetricSpec<Counter> CALLS = SPECS.counter("calls");

        OtherMetrics(MetricGroup group) {
            super(group, SPECS);
        }
    }

    @Test
    void refusesTheSpecOfAnotherComponent() {
        SampleMetrics m = new SampleMetrics(new RecordingGroup());
        assertThatThrownBy(() -> m.get(OtherMetrics.CALLS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("calls");
    }
}
