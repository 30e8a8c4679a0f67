package io.streamrag.common.kafka;

import io.streamrag.common.testing.LocalServices;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guards "security settings reach every Kafka client": no main source of any module sets bootstrap servers itself
 * (which is how a client built beside {@link KafkaClientSettings} would look). Benchmarks are exempt.
 */
class EveryKafkaClientUsesTheSettingsTest {

    /** Setting the bootstrap servers (reading them, e.g. for an error message, is fine). */
    private static final Pattern OWN_BOOTSTRAP = Pattern.compile(
            "setBootstrapServers\\(|(put|putIfAbsent|setProperty|Map\\.of|entry)\\(\\s*(\\w+\\.)?BOOTSTRAP_SERVERS_CONFIG|\"bootstrap\\.servers\"");

    @Test
    void onlyKafkaClientSettingsSetsBootstrapServers() throws IOException {
        List<Path> offenders = new ArrayList<>();
        try (Stream<Path> modules = Files.list(LocalServices.repositoryRoot())) {
            for (Path main : modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).collect(Collectors.toList())) {
                try (Stream<Path> files = Files.walk(main)) {
                    files.filter(p -> p.toString().endsWith(".java"))
                            .filter(p -> !p.toString().contains("/bench/"))
                            .filter(p -> !p.getFileName().toString().equals("KafkaClientSettings.java"))
                            .filter(EveryKafkaClientUsesTheSettingsTest::setsOwnBootstrap)
                            .forEach(offenders::add);
                }
            }
        }
        assertThat(offenders).as("build Kafka clients from KafkaClientSettings.properties(conf)").isEmpty();
    }

    private static boolean setsOwnBootstrap(Path file) {
        try {
            return OWN_BOOTSTRAP.matcher(Files.readString(file)).find();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
