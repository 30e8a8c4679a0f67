package io.streamrag.ingest;

import io.streamrag.common.config.ConfigKeys;
import io.streamrag.common.config.Configs;
import io.streamrag.common.testing.DeployedFlinkConfiguration;
import io.streamrag.common.testing.LocalServices;
import io.streamrag.ingest.extract.DocumentError;
import io.streamrag.ingest.extract.DocumentException;
import io.streamrag.ingest.fetch.FetchPolicy;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.IllegalConfigurationException;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ingest options deploy/k8s mounts, read as {@link IngestJob#main} reads them: what the fetch policy lets through. */
class KubernetesIngestOptionsTest {

    private static final Path OPTIONS = LocalServices.repositoryRoot().resolve("deploy/k8s/ingest.properties");

    private static Configuration deployed(String... overrides) throws Exception {
        String[] args = new String[overrides.length + 2];
        args[0] = "--config";
        args[1] = OPTIONS.toString();
        System.arraycopy(overrides, 0, args, 2, overrides.length);
        return Configs.fromArgs(args, ConfigKeys.forJob(IngestOptions.class));
    }

    @Test
    void aTenantsFileOnTheDocumentsVolumeAndHttpAreAllowedAndObjectStoresAreNot() throws Exception {
        FetchPolicy policy = FetchPolicy.from(deployed());
        // A random name under /data/acme: past the policy the lookup finds no such file; a refusal comes before it.
        URI own = URI.create("file:///data/acme/" + UUID.randomUUID() + ".pdf");
        assertThatThrownBy(() -> policy.checkFile(own, "acme")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> policy.checkFile(own, "globex"))
                .isInstanceOfSatisfying(DocumentException.class, e -> assertThat(e.error()).isEqualTo(DocumentError.FORBIDDEN));
        policy.checkScheme(URI.create("https://docs.example.com/a.pdf"));
        policy.checkScheme(URI.create("http://docs.example.com/a.pdf"));
        for (String store : new String[] {"s3://streamrag-flink/checkpoints/", "s3a://b/k", "gs://b/k", "hdfs://nn/k"}) {
            assertThatThrownBy(() -> policy.checkScheme(URI.create(store))).as(store)
                    .isInstanceOfSatisfying(DocumentException.class, e -> assertThat(e.error()).isEqualTo(DocumentError.FORBIDDEN));
        }
    }

    @Test
    void withTheVolumeAtAnotherPathTheTenantsFileIsReadable(@TempDir Path dir) throws Exception {
        // The deployed file with only the root moved (an argument wins over the file, as with `flink run`).
        Path file = Files.createDirectories(dir.resolve("acme")).resolve("manual.pdf");
        Files.write(file, new byte[] {1});
        FetchPolicy policy = FetchPolicy.from(deployed("--ingest.allowed-roots", dir + "/{tenant}"));
        assertThat(policy.checkFile(file.toUri(), "acme")).isEqualTo(file.toRealPath());
    }

    @Test
    void theDeployedCheckpointingKeepsTheSinksTransactionsUnderTheBrokersCap() throws Exception {
        // As the operator starts the job: the FlinkDeployment's Flink configuration, then main's configure.
        Configuration flink = DeployedFlinkConfiguration.of("ingest");
        IngestJob.configure(StreamExecutionEnvironment.getExecutionEnvironment(flink), deployed());
        // A checkpoint may wait out an outage for the 5 min budget + 2 min: one tolerated failure is already too many.
        flink.set(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER, 1);
        assertThatThrownBy(() -> IngestJob.configure(StreamExecutionEnvironment.getExecutionEnvironment(flink), deployed()))
                .isInstanceOf(IllegalConfigurationException.class).hasMessageContaining("ingest.sink.transaction-timeout");
    }
}
