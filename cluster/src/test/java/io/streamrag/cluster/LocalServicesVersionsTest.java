package io.streamrag.cluster;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The local services take their versions from the root pom's properties ({@code services.sh}'s {@code pom_prop} and
 * {@code deploy/local/pom.xml}'s {@code ${...}}): every property they name exists, so a property removed from the root
 * pom fails here rather than in {@code bin/rag up} on a user's machine.
 */
class LocalServicesVersionsTest {

    private static String rootPom;
    private static Path local;

    @BeforeAll
    static void findRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (!Files.exists(dir.resolve("deploy/local/services.sh"))) {
            dir = dir.getParent();
            assertThat(dir).as("repository root above the module").isNotNull();
        }
        local = dir.resolve("deploy/local");
        try {
            rootPom = Files.readString(dir.resolve("pom.xml"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Set<String> matches(String text, String regex) {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static boolean definedInRootPom(String property) {
        return rootPom.contains("<" + property + ">");
    }

    @Test
    void everyPropertyServicesShReadsIsInTheRootPom() throws IOException {
        Set<String> read = matches(Files.readString(local.resolve("services.sh")), "pom_prop ([A-Za-z0-9.-]+)");
        assertThat(read).contains("kafka.version", "opensearch.version", "flink.version");
        assertThat(read).allMatch(LocalServicesVersionsTest::definedInRootPom);
    }

    @Test
    void everyVersionPropertyTheLocalPomUsesIsInTheRootPom() throws IOException {
        String pom = Files.readString(local.resolve("pom.xml"));
        Set<String> own = matches(pom, "<([A-Za-z0-9.-]+)>[^<]*</\\1>");
        Set<String> used = matches(pom, "\\$\\{([A-Za-z0-9.-]+\\.version)}");
        used.removeAll(own);
        assertThat(used).isNotEmpty().allMatch(LocalServicesVersionsTest::definedInRootPom);
    }
}
