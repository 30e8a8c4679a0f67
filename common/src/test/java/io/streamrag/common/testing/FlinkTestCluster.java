package io.streamrag.common.testing;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

/** The MiniCluster every ITCase runs its jobs on: one TaskManager, enough slots for a job on 2 cores. */
public final class FlinkTestCluster {

    private FlinkTestCluster() {}

    public static MiniClusterExtension extension(int slots) {
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(slots)
                .build());
    }
}
