package io.streamrag.common.metrics;

import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;

/**
 * Base of every component's {@code *Metrics} class: registers the component's {@link MetricSpecs} on the operator's
 * group and hands out each metric by its spec, so a subclass states each metric once (a {@code public static final}
 * spec) and keeps only what computes values.
 */
public abstract class ComponentMetrics {
    /** The operator's group. */
    protected final MetricGroup group;
    private final MetricSpecs specs;
    private final Metric[] metrics;

    protected ComponentMetrics(MetricGroup group, MetricSpecs specs) {
        this.group = group;
        this.specs = specs;
        this.metrics = new Metric[specs.specs.size()];
        for (MetricSpec<?> spec : specs.specs) {
            if (spec.register != null) {
                metrics[spec.index] = spec.register.apply(group);
            }
        }
    }

    /** The metric of {@code spec}, one of this component's. */
    @SuppressWarnings("unchecked")
    public final <M extends Metric> M get(MetricSpec<M> spec) {
        if (!specs.declares(spec) || metrics[spec.index] == null) {
            throw new IllegalArgumentException(spec + " is not a registered metric of " + getClass().getSimpleName());
        }
        return (M) metrics[spec.index];
    }

    /** Registers the gauge {@code spec} with its value, read by the reporters when they report. */
    protected final <T> void gauge(MetricSpec<Gauge<T>> spec, Gauge<T> value) {
        if (!specs.declares(spec)) {
            throw new IllegalArgumentException(spec + " is not a metric of " + getClass().getSimpleName());
        }
        metrics[spec.index] = group.gauge(spec.name(), value);
    }
}
