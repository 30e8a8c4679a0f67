package io.streamrag.common.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The metrics of one component, each declared once with its name and kind; the component's {@link ComponentMetrics}
 * registers all of them on the operator's group, so they show (at zero) before the first event.
 */
public final class MetricSpecs {
    final List<MetricSpec<?>> specs = new ArrayList<>();

    /** A counter incremented by the task thread only. */
    public MetricSpec<Counter> counter(String name) {
        return add(name, g -> g.counter(name));
    }

    /** A counter that async callbacks on other threads increment too. */
    public MetricSpec<Counter> sharedCounter(String name) {
        return add(name, g -> g.counter(name, new ThreadSafeSimpleCounter()));
    }

    /** A histogram over the last {@code window} values. */
    public MetricSpec<Histogram> histogram(String name, int window) {
        return add(name, g -> g.histogram(name, new DescriptiveStatisticsHistogram(window)));
    }

    /** A gauge: the component registers it with its value ({@link ComponentMetrics#gauge}). */
    public <T> MetricSpec<Gauge<T>> gauge(String name) {
        return add(name, null);
    }

    /** Whether {@code spec} is one of these. */
    boolean declares(MetricSpec<?> spec) {
        return spec.index < specs.size() && specs.get(spec.index) == spec;
    }

    private <M extends Metric> MetricSpec<M> add(String name, Function<MetricGroup, M> register) {
        MetricSpec<M> spec = new MetricSpec<>(name, specs.size(), register);
        specs.add(spec);
        return spec;
    }
}
