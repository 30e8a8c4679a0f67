package io.streamrag.cli.commands;

import io.streamrag.cli.KafkaTools;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.common.records.DocumentEvent;
import io.streamrag.common.testing.KafkaExtension;
import io.streamrag.common.testing.OpenSearchExtension;
import io.streamrag.common.testing.SecureServices;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.opensearch.client.opensearch.OpenSearchClient;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line's producer, consumer, admin and OpenSearch client against the secured services, set up by --client-config. */
class SecuredCliITCase {

    @RegisterExtension
    static final KafkaExtension KAFKA = KafkaExtension.secured();

    @RegisterExtension
    static final OpenSearchExtension OPENSEARCH = OpenSearchExtension.secured();

    @TempDir
    Path dir;

    @Test
    void sendsCountsAndSearchesWithTheClientConfig() throws Exception {
        Configuration client = SecureServices.clientConf();
        Path file = Files.writeString(dir.resolve("client.properties"), client.toMap().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("\n")));
        SecureServices.assertNoSecret("client config file", Files.readString(file));
        Connection connection = CommandLine.populateCommand(new Connection(), "--client-config", file.toString());
        String topic = KAFKA.createTopic("secured-cli-documents", 1);
        connection.documentsTopic = topic;

        KafkaTools.createTopics(connection.kafka(), List.of(topic), 1);   // admin: exists already, nothing to do
        DocumentEvent event = new DocumentEvent();
        event.documentId = "cli-doc";
        event.tenant = "acme";
        event.version = 1L;
        event.op = DocumentEvent.Op.UPSERT;
        event.uri = "file:///nonexistent";
        IngestCommand.send(connection, List.of(event, event));
        assertThat(KafkaTools.countCommitted(connection.kafka(), topic)).isEqualTo(2);

        OpenSearchClient search = OpenSearchClients.create(connection.configuration());
        try {
            assertThat(search.cluster().health().status()).isNotNull();
        } finally {
            OpenSearchClients.close(search);
        }
    }
}
