using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Layers;
using CnnGen.Generator.Model;
using CnnGen.Generator.Syntax;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// Input sizes: every layer's height and width as a formula of the input's (<see cref="SizeFormula"/>),
/// the smallest input for which the whole network is valid, and symbolic inputs (<c>input: [3, H, W]</c>).
/// </summary>
public sealed partial class NetworkAnalyzer
{
    /// <summary>Where a symbolic input is first analysed to learn its formulas.</summary>
    private const long ProbeSize = 512;

    /// <summary>How far above the formulas' minimum to look for a size where every branch also agrees.</summary>
    private const int SearchWindow = 64;

    /// <summary>How far above a size to look for one at which every join's branches agree.</summary>
    private const long ConstraintSearch = 1 << 16;

    /// <summary>Problems that depend on the input size, which a symbolic input may avoid at another size.</summary>
    private static readonly string[] SizeProblems = { DiagnosticCatalog.SpatialTooSmall.Id, DiagnosticCatalog.ResidualShapes.Id, DiagnosticCatalog.ConcatShapes.Id };

    private (long Height, long Width)? _inputOverride;
    private (long Height, long Width) _minimum = (1, 1);
    private bool _fixedSize;

    /// <summary>False once two joined branches had different size formulas: then the minimum must be confirmed by analysis.</summary>
    private bool _formulasExact = true;

    /// <summary>An upsample by a factor has run (<see cref="SpatialRule.Scaled"/>); a join after it with a branch of unknown formula ties the input size.</summary>
    private bool _scaled;

    /// <summary>The input size is tied by a join after an upsample by a factor, not by a flatten.</summary>
    private bool _fixedByScale;

    private Shape WithFormulas(Shape output, Shape input, SpatialRule rule)
    {
        if (rule.Scales) _scaled = true;
        if (!output.IsSpatial)
        {
            if (rule.NeedsFixedSize && input.IsSpatial && !(input.HeightFormula?.IsConstant == true && input.WidthFormula?.IsConstant == true))
                _fixedSize = true;
            return output;
        }
        var height = input.IsSpatial ? rule.Height(input.HeightFormula) : null;
        var width = input.IsSpatial ? rule.Width(input.WidthFormula) : null;
        // A formula must reproduce the size just computed; if it ever did not, it is dropped, never trusted.
        if (height is not null && height.Evaluate(_model.Input.Height) != output.Height) height = null;
        if (width is not null && width.Evaluate(_model.Input.Width) != output.Width) width = null;
        if (height is not null) _minimum.Height = Math.Max(_minimum.Height, height.MinimumInput);
        if (width is not null) _minimum.Width = Math.Max(_minimum.Width, width.MinimumInput);
        return output with { HeightFormula = height, WidthFormula = width };
    }

    /// <summary>
    /// The formulas shared by branches that are joined (concat, residual add), or none if one is unknown. Known formulas
    /// that differ (an upsampled map meeting another) agree only at some input sizes: each pair is recorded as a
    /// <see cref="SizeConstraint"/> at <paramref name="where"/>, and the join's size is the first branch's formula.
    /// </summary>
    private Shape Joined(Shape output, IEnumerable<Shape> parts, string where, SourceSpan site)
    {
        var list = parts.ToList();
        SizeFormula? Agreed(IReadOnlyList<SizeFormula?> formulas, bool height)
        {
            if (formulas.Any(f => f is null)) return null;
            var first = formulas[0]!;
            foreach (var other in formulas.Skip(1))
                if (!first.SameAs(other!) && !_model.SizeConstraints.Any(c => c.Height == height && c.First.SameAs(first) && c.Second.SameAs(other!)))
                    _model.SizeConstraints.Add(new SizeConstraint(where, site, height, first, other!));
            return first;
        }
        var height = Agreed(list.Select(p => p.HeightFormula).ToList(), true);
        var width = Agreed(list.Select(p => p.WidthFormula).ToList(), false);
        if (height is null || width is null) _formulasExact = false;
        if (_scaled && list.Any(p => p.HeightFormula is null || p.WidthFormula is null))
        {
            _fixedSize = true;
            _fixedByScale = true;
        }
        return output with { HeightFormula = height, WidthFormula = width };
    }

    private string? DescribeFormula(Shape shape)
    {
        if (!shape.IsMap) return null;
        var (h, w) = _model.InputSymbols;
        return $"{shape.Channels.Int} x {shape.HeightFormula?.Describe(h ?? "H") ?? shape.Height.ToString()} x {shape.WidthFormula?.Describe(w ?? "W") ?? shape.Width.ToString()}";
    }

    /// <summary>Reads one spatial dimension of <c>input</c>: a number, or a name for a symbolic size.</summary>
    private long? ReadSpatialInput(YamlScalar scalar, bool height)
    {
        if (long.TryParse(scalar.Text, out var size) && size >= 1 && size <= 1_000_000)
            return _inputOverride is { } forced ? (height ? forced.Height : forced.Width) : size;
        if (Identifiers.IsName(scalar.Text))
        {
            _model.InputSymbols = height ? (scalar.Text, _model.InputSymbols.Width) : (_model.InputSymbols.Height, scalar.Text);
            return _inputOverride is { } forced ? (height ? forced.Height : forced.Width) : ProbeSize;
        }
        Report(DiagnosticCatalog.InvalidValue, scalar.Span, "input", $"dimension '{scalar.Text}' must be a positive integer or a name such as H");
        return null;
    }

    /// <summary>
    /// After a clean analysis: the smallest valid input (checked by analysing the network at that size,
    /// and above it while branches disagree), and for a symbolic input the analysis at that size.
    /// </summary>
    private static NetworkModel? ResolveSizes(NetworkDocument document, VariantDefinition? variant, string fallbackClassName,
        NetworkModel model, NetworkAnalyzer first, List<Problem> problems, CancellationToken cancellationToken)
    {
        var symbolic = model.InputSymbols.Height is not null || model.InputSymbols.Width is not null;
        if (first._fixedSize)
        {
            model.FixedInputSize = true;
            model.MinimumInput = (model.Input.Height, model.Input.Width);
            if (symbolic)
                problems.Add(Problem.Create(DiagnosticCatalog.NoValidInputSize, document.Input!.Span, first._fixedByScale
                    ? "an upsample by a factor is joined with other maps whose size the analysis cannot follow as a formula of the input's (a stride after the upsample that neither divides its factor nor is divided by it, or a transposed convolution); give the input as numbers (or upsample with 'to=' the map it meets)"
                    : "a flatten receives the raw feature map, so the layers after it fix the input size; give the input as numbers (or pool adaptively before flatten)"));
            return model;
        }

        var declared = (model.Input.Height, model.Input.Width);
        var start = first._minimum;
        // The smallest size from 'from' up at which every join's branches agree (see SizeConstraint); -1 if none up to 'limit'.
        long NextValid(long from, bool height, long limit)
        {
            for (var size = from; size <= limit; size++)
                if (model.SatisfiesConstraints(size, height)) return size;
            return -1;
        }
        // Where every join's branches have known formulas, the formulas' minimum is exact, and the constraints between
        // different formulas say which sizes from there up work: no analysis needed.
        if (!symbolic && first._formulasExact)
        {
            var (fromHeight, fromWidth) = (Math.Min(start.Height, declared.Height), Math.Min(start.Width, declared.Width));
            // The declared size passed the analysis, so every constraint holds there.
            model.MinimumInput = (Math.Max(fromHeight, NextValid(fromHeight, true, declared.Height)), Math.Max(fromWidth, NextValid(fromWidth, false, declared.Width)));
            return model;
        }
        (long, long)? previous = null;
        for (var step = 0; step <= SearchWindow; step++)
        {
            var (height, width) = (start.Height + step, start.Width + step);
            if (model.SizeConstraints.Count > 0)
            {
                // Only sizes where the joins known so far agree; a symbolic probe may have stopped at a join that disagreed.
                height = NextValid(height, true, symbolic ? height + ConstraintSearch : declared.Height);
                width = NextValid(width, false, symbolic ? width + ConstraintSearch : declared.Width);
                if (height < 0 || width < 0) break;
            }
            var candidate = (Math.Min(height, symbolic ? long.MaxValue : declared.Height), Math.Min(width, symbolic ? long.MaxValue : declared.Width));
            if (candidate == previous) continue;
            previous = candidate;
            if (!symbolic && candidate == declared)
            {
                model.MinimumInput = declared;
                return model;
            }
            var found = new List<Problem>();
            var trial = new NetworkAnalyzer(document, variant, found, cancellationToken) { _inputOverride = candidate, _customLayers = first._customLayers, _blockTotals = first._blockTotals };
            var analysed = trial.Run(fallbackClassName);
            if (analysed is null || analysed.Output is null || found.Any(p => p.Severity == ProblemSeverity.Error)) continue;
            if (!symbolic)
            {
                model.MinimumInput = candidate;
                return model;
            }
            // A symbolic network is generated at its smallest valid size; its formulas and constraints say the rest.
            analysed.MinimumInput = candidate;
            problems.AddRange(found);
            return analysed;
        }
        if (symbolic)
        {
            problems.Add(Problem.Create(DiagnosticCatalog.NoValidInputSize, document.Input!.Span,
                $"no input from {start.Height}x{start.Width} to {start.Height + SearchWindow}x{start.Width + SearchWindow} makes every layer valid (the sizes its layers need: at least {start.Height}x{start.Width})"));
            return null;
        }
        model.MinimumInput = declared;
        return model;
    }
}
