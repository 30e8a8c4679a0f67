package io.streamrag.common.testing;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;

import java.util.Map;

/** The metrics an operator in a test harness registers, read back by name: give the harness {@link #environment()}. */
public final class HarnessMetrics {
    private final InterceptingOperatorMetricGroup group = new InterceptingOperatorMetricGroup();

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
        return group.get(name);
    }

    /** The count of the counter {@code name}. */
    public long count(String name) {
        return ((Counter) group.get(name)).getCount();
    }

    /** The value of the gauge {@code name}. */
    @SuppressWarnings("unchecked")
    public <T> T gauge(String name) {
        return ((Gauge<T>) group.get(name)).getValue();
    }
}
