package io.streamrag.common.testing;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The metrics an operator in a test harness registers, read back by name: give the harness {@link #environment()}. One
 * in a sub-group is named by its path, e.g. {@code endpoint.local.candidatesTimedOut} for {@code addGroup("endpoint",
 * "local")}.
 */
public final class HarnessMetrics {
    /** The metrics of sub-groups, by path. */
    private final Map<String, Metric> nested = new ConcurrentHashMap<>();
    private final InterceptingOperatorMetricGroup group = intercepting("");

    /** A group that keeps its metrics, and its sub-groups', under {@code prefix} (the operator's group: ""). */
    private InterceptingOperatorMetricGroup intercepting(String prefix) {
        return new InterceptingOperatorMetricGroup() {
            @Override
            protected void addMetric(String name, Metric metric) {
                if (prefix.isEmpty()) {
                    super.addMetric(name, metric);
                } else {
                    nested.put(prefix + name, metric);
                }
            }

            @Override
            public MetricGroup addGroup(String key, String value) {
                return intercepting(prefix + key + "." + value + ".");
            }
        };
    }

    /** A mock environment whose operators register their metrics here; set more on it before {@code build()}. */
    public MockEnvironmentBuilder environment() {
        var taskMetrics = new UnregisteredMetricGroups.UnregisteredTaskMetricGroup() {
            @Override
            public InternalOperatorMetricGroup getOrAddOperator(OperatorID id, String name, Map<String, String> variables) {
                return group;
            }
        };
        return new MockEnvironmentBuilder().setMetricGroup(taskMetrics);
    }

    /** The metric registered as {@code name}, or null. */
    public Metric get(String name) {
        Metric m = group.get(name);
        return m != null ? m : nested.get(name);
    }

    /** The count of the counter {@code name}. */
    public long count(String name) {
        return ((Counter) get(name)).getCount();
    }

    /** The value of the gauge {@code name}. */
    @SuppressWarnings("unchecked")
    public <T> T gauge(String name) {
        return ((Gauge<T>) get(name)).getValue();
    }
}
