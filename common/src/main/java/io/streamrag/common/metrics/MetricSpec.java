package io.streamrag.common.metrics;

import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;

import java.util.function.Function;

/** One metric a component declares: its exported name and kind, made by {@link MetricSpecs}. */
public final class MetricSpec<M extends Metric> {
    private final String name;
    /** Its place among its component's specs. */
    final int index;
    /** Registers the metric on a group; null for a gauge, which its component registers with its value. */
    final Function<MetricGroup, M> register;

    MetricSpec(String name, int index, Function<MetricGroup, M> register) {
        this.name = name;
        this.index = index;
        this.register = register;
    }

    /** The name the metric is exported under (dashboards, {@code bin/rag status}, docs/CONTRACT.md). */
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return name;
    }
}
