package io.streamrag.cli.commands;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The command line's connection: a client-config file with security options, flags on top of it. */
class ConnectionTest {

    @TempDir
    Path dir;

    @Test
    void fileGivesSecurityAndAddressesFlagsWinWhenGiven() throws Exception {
        Path password = Files.writeString(dir.resolve("kafka.password"), "pw");
        Path file = Files.writeString(dir.resolve("client.properties"), String.join("\n",
                "kafka.bootstrap-servers=127.0.0.1:9094",
                "kafka.security.protocol=SASL_SSL",
                "kafka.sasl.username=streamrag",
                "kafka.sasl.password-file=" + password,
                "opensearch.url=https://127.0.0.1:9201"));

        Connection fromFile = CommandLine.populateCommand(new Connection(), "--client-config", file.toString());
        Configuration conf = fromFile.configuration();
        assertThat(conf.getString("kafka.bootstrap-servers", null)).isEqualTo("127.0.0.1:9094");
        assertThat(conf.getString("opensearch.url", null)).isEqualTo("https://127.0.0.1:9201");
        Properties kafka = fromFile.kafka();
        assertThat(kafka).containsEntry("security.protocol", "SASL_SSL").containsKey("sasl.jaas.config");

        Connection overridden = CommandLine.populateCommand(new Connection(),
                "--client-config", file.toString(), "--bootstrap-servers", "127.0.0.1:19094");
        assertThat(overridden.kafka()).containsEntry("bootstrap.servers", "127.0.0.1:19094");
    }

    @Test
    void withoutAFileTheLocalPlainRun() {
        Connection plain = CommandLine.populateCommand(new Connection());
        assertThat(plain.kafka()).containsEntry("bootstrap.servers", "127.0.0.1:9092").containsEntry("security.protocol", "PLAINTEXT");
        assertThat(plain.configuration().getString("opensearch.url", null)).isEqualTo("http://127.0.0.1:9200");
    }

    @Test
    void theCommandLinesOwnClientsUseTheFilesTopicsAndIndexUnlessAFlagSaysOtherwise() throws Exception {
        Path file = Files.writeString(dir.resolve("client.properties"), String.join("\n",
                "kafka.bootstrap-servers=127.0.0.1:9094",
                "opensearch.index=chunks-file",
                "topics.answers=answers-file",
                "topics.documents=documents-file"));
        Connection c = CommandLine.populateCommand(new Connection(), "--client-config", file.toString(),
                "--documents-topic", "documents-flag").resolve();
        assertThat(c.bootstrap).isEqualTo("127.0.0.1:9094");
        assertThat(c.index).isEqualTo("chunks-file");
        assertThat(c.answersTopic).isEqualTo("answers-file");
        assertThat(c.documentsTopic).isEqualTo("documents-flag");
        assertThat(c.questionsTopic).isEqualTo("questions");
        assertThat(c.configuration().getString("topics.documents", null)).isEqualTo("documents-flag");
    }

    @Test
    void aFlagEqualToItsDefaultStillWinsOverTheFile() throws Exception {
        Path file = Files.writeString(dir.resolve("client.properties"), String.join("\n",
                "kafka.bootstrap-servers=10.9.9.9:9094",
                "topics.documents=documents-file"));
        // Before, a flag that equals the built-in default counted as not given: the file's 10.9.9.9:9094 was used.
        Connection c = CommandLine.populateCommand(new Connection(), "--client-config", file.toString(),
                "-b", "127.0.0.1:9092", "--documents-topic", "documents").resolve();
        assertThat(c.bootstrap).isEqualTo("127.0.0.1:9092");
        assertThat(c.kafka()).containsEntry("bootstrap.servers", "127.0.0.1:9092");
        assertThat(c.documentsTopic).isEqualTo("documents");
        assertThat(c.configuration().getString("topics.documents", null)).isEqualTo("documents");

        // Not given: the file's value over the built-in default; without a file, the default.
        Connection fromFile = CommandLine.populateCommand(new Connection(), "--client-config", file.toString()).resolve();
        assertThat(fromFile.bootstrap).isEqualTo("10.9.9.9:9094");
        assertThat(fromFile.documentsTopic).isEqualTo("documents-file");
        assertThat(new Connection().resolve().bootstrap).isEqualTo("127.0.0.1:9092");
    }

    @Test
    void aPasswordInTheFileIsRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("client.properties"), "opensearch.username=app\nopensearch.password=oops\n");
        Connection c = CommandLine.populateCommand(new Connection(), "--client-config", file.toString());
        assertThatThrownBy(c::kafka).hasMessageContaining("opensearch.password").hasMessageNotContaining("oops");
    }
}
