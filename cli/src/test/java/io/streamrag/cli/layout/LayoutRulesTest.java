package io.streamrag.cli.layout;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The module layout as rules over the main classes of every module (the CLI's tests see them all): cli → jobs →
 * common, no job depends on another job, on the CLI or on the local model server, and common depends on none of them.
 */
class LayoutRulesTest {

    private static final String COMMON = "io.streamrag.common..";
    private static final String INGEST = "io.streamrag.ingest..";
    private static final String QUERY = "io.streamrag.query..";
    private static final String MODEL = "io.streamrag.model..";
    private static final String CLI = "io.streamrag.cli..";
    private static final String CLUSTER = "io.streamrag.cluster..";

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.streamrag");
    }

    @Test
    void everyModuleIsImported() {
        // A rule over a package that was not imported would pass vacuously.
        for (String pkg : new String[] {"io.streamrag.common", "io.streamrag.ingest", "io.streamrag.query",
                "io.streamrag.model", "io.streamrag.cli"}) {
            assertThat(classes.stream().anyMatch(c -> c.getPackageName().startsWith(pkg))).as(pkg).isTrue();
        }
    }

    @Test
    void commonDependsOnNoJobNorTool() {
        check(noClasses().that().resideInAPackage(COMMON)
                .should().dependOnClassesThat().resideInAnyPackage(INGEST, QUERY, MODEL, CLI, CLUSTER));
    }

    @Test
    void ingestJobDependsOnCommonOnly() {
        check(noClasses().that().resideInAPackage(INGEST)
                .should().dependOnClassesThat().resideInAnyPackage(QUERY, MODEL, CLI, CLUSTER));
    }

    @Test
    void queryJobDependsOnCommonOnly() {
        check(noClasses().that().resideInAPackage(QUERY)
                .should().dependOnClassesThat().resideInAnyPackage(INGEST, MODEL, CLI, CLUSTER));
    }

    @Test
    void localModelServerIsStandalone() {
        check(noClasses().that().resideInAPackage(MODEL)
                .should().dependOnClassesThat().resideInAnyPackage(INGEST, QUERY, CLI, CLUSTER));
    }

    private static void check(ArchRule rule) {
        rule.check(classes);
    }
}
