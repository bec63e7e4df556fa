using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Syntax;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// <c>block_index</c> and <c>block_count</c> in a block's body: this instance's 0-based position among all instances of
/// the block in the network (forward order) and their number, torchvision's <c>stage_block_id</c> and
/// <c>total_stage_blocks</c>, so EfficientNet's stochastic-depth rate is <c>p * block_index / block_count</c> with no
/// bookkeeping. The count needs the whole network: a body that reads it makes the analysis run twice (the first
/// walk counts), and the second walk must make as many instances as the first counted.
/// </summary>
public sealed partial class NetworkAnalyzer
{
    private const string BlockIndexName = "block_index";
    private const string BlockCountName = "block_count";

    /// <summary>Counts this instance and gives its body <c>block_index</c> and <c>block_count</c>; a parameter of those names hides them.</summary>
    private void SetBlockPosition(BlockDefinition block, Scope blockScope)
    {
        var index = _blockInstances.TryGetValue(block.Name, out var made) ? made : 0;
        _blockInstances[block.Name] = index + 1;
        blockScope.Set(BlockIndexName, Value.Of(index));
        if (_blockTotals is null)
            blockScope.Set(BlockCountName, Value.Of(UnknownBlockCount));
        else
            blockScope.Set(BlockCountName, Value.Of(_blockTotals.TryGetValue(block.Name, out var total) ? total : index + 1));
        _positionScopes.Add(blockScope);
    }

    /// <summary>The scopes given a position, to learn afterwards whether any read <c>block_count</c>.</summary>
    private readonly List<Scope> _positionScopes = new();

    /// <summary>After the first walk: whether a body read <c>block_count</c>, so the totals are needed.</summary>
    private bool ReadBlockCount() => _positionScopes.Any(scope => scope.WasUsed(BlockCountName));

    /// <summary>The second walk made the instances the first counted; if not (a count that depends on block_count), say so.</summary>
    private void CheckBlockTotals()
    {
        foreach (var pair in _blockTotals!)
            if (!_blockInstances.TryGetValue(pair.Key, out var made) || made != pair.Value)
            {
                var definition = _blocks.TryGetValue(pair.Key, out var block) ? block.Header.Span : default;
                Report(DiagnosticCatalog.Unsupported, definition,
                    $"The block '{pair.Key}' was made {pair.Value} times when block_count was unknown and {made} times with it: a repetition count cannot depend on block_count");
            }
    }
}
