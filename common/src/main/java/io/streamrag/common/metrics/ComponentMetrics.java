package io.streamrag.common.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * Base of every component's {@code *Metrics} class: registers each metric on the operator's group with one call,
 * so a subclass holds only its name constants and one field initializer per metric.
 */
public abstract class ComponentMetrics {
    /** The operator's group; field initializers of a subclass run after it is set. */
    protected final MetricGroup group;

    protected ComponentMetrics(MetricGroup group) {
        this.group = group;
    }

    /** A counter incremented by the task thread only. */
    protected final Counter counter(String name) {
        return group.counter(name);
    }

    /** A counter that async callbacks on other threads increment too. */
    protected final Counter sharedCounter(String name) {
        return group.counter(name, new ThreadSafeSimpleCounter());
    }

    /** A histogram over the last {@code window} values. */
    protected final Histogram histogram(String name, int window) {
        return group.histogram(name, new DescriptiveStatisticsHistogram(window));
    }

    /** A gauge read by the reporters when they report. */
    protected final <T> void gauge(String name, Gauge<T> gauge) {
        group.gauge(name, gauge);
    }
}
