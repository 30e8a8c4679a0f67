package io.streamrag.common.testing;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.YamlParserUtils;

import java.util.HashMap;
import java.util.Map;

/** The {@code spec.flinkConfiguration} of a job's FlinkDeployment in {@code deploy/k8s}, as the operator hands it to Flink. */
public final class DeployedFlinkConfiguration {
    private DeployedFlinkConfiguration() {}

    /** {@code job}: {@code ingest} or {@code query}. */
    @SuppressWarnings("unchecked")
    public static Configuration of(String job) throws Exception {
        Map<String, Object> deployment = YamlParserUtils.loadYamlFile(
                LocalServices.repositoryRoot().resolve("deploy/k8s/" + job + "-job.yaml").toFile());
        Map<String, Object> spec = (Map<String, Object>) deployment.get("spec");
        Map<String, String> flink = new HashMap<>();
        ((Map<String, Object>) spec.get("flinkConfiguration")).forEach((k, v) -> flink.put(k, String.valueOf(v)));
        return Configuration.fromMap(flink);
    }
}
