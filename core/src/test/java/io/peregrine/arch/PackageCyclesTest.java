package io.peregrine.arch;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.EvaluationResult;
import io.peregrine.arch.cycle.a.Left;
import io.peregrine.arch.cycle.b.Right;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packages of core form layers: no package depends, through any chain, on a package that depends on it. A cycle
 * means two packages can only be understood, tested and changed together; this keeps a new one from creeping in.
 * Read by ArchUnit from the compiled classes, every reference counted (imports, fully qualified names, signatures).
 */
class PackageCyclesTest
{
    private static final String PACKAGES = "io.peregrine.(**)";

    @Test
    void shouldHaveNoPackageCycleInCore()
    {
        final JavaClasses core = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.peregrine");
        assertTrue(core.size() > 100, "core's classes were found: " + core.size());
        final EvaluationResult result = slices().matching(PACKAGES).should().beFreeOfCycles().evaluate(core);
        assertFalse(result.hasViolation(), () -> String.join("\n", result.getFailureReport().getDetails()));
    }

    @Test
    void shouldFindACycleWhenThereIsOne()
    {
        final JavaClasses cyclic = new ClassFileImporter().importClasses(Left.class, Right.class);
        final EvaluationResult result = slices().matching(PACKAGES).should().beFreeOfCycles().evaluate(cyclic);
        assertTrue(result.hasViolation(), "io.peregrine.arch.cycle.a and .b depend on each other");
    }
}
