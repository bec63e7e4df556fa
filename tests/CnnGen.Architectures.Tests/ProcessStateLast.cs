using Xunit.Abstractions;
using Xunit.Sdk;

namespace CnnGen.Architectures.Tests;

/// <summary>Marks a test that changes process-wide state (glibc's malloc settings): its class runs it after the others.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ChangesProcessStateAttribute : Attribute
{
}

/// <summary>
/// Orders a class's tests so that those marked <see cref="ChangesProcessStateAttribute"/> run last, by name
/// otherwise: the tests before them measure the process as it starts, whatever order xunit would pick.
/// </summary>
public sealed class ProcessStateLast : ITestCaseOrderer
{
    public const string Name = "CnnGen.Architectures.Tests.ProcessStateLast";
    public const string Assembly = "CnnGen.Architectures.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases
            .OrderBy(testCase => testCase.TestMethod.Method.GetCustomAttributes(typeof(ChangesProcessStateAttribute).AssemblyQualifiedName).Any())
            .ThenBy(testCase => testCase.TestMethod.Method.Name, StringComparer.Ordinal)
            .ThenBy(testCase => testCase.DisplayName, StringComparer.Ordinal);
}
