using CnnGen.Architectures;
using CnnGen.Runtime;
using CnnGen.Runtime.Weights;
using CnnGen.Samples.Training;
using static TorchSharp.torch;

namespace CnnGen.Samples.Transfer;

/// <summary>
/// The three trainings the sample compares, each deterministic for its seed: LeNet-5 pretrained on one task and
/// saved; a network that loads those weights, gets a new head and trains only that; and the same network trained
/// whole from its random initialisation. Program.cs runs them at full size, TransferLearningTests small.
/// </summary>
public static class TransferLearning
{
    /// <summary>Epochs over the training images of digits 0-4 (from the seed <see cref="PretrainSeed"/>).</summary>
    public const int PretrainEpochs = 10;

    public const long PretrainSeed = 0;

    /// <summary>Full-batch steps on the few images of 5-9, the same for every way of learning them.</summary>
    public const int FineTuneSteps = 100;

    /// <summary>Trains a new five-class LeNet-5 on <paramref name="task"/> in shuffled mini-batches and saves its weights as safetensors.</summary>
    public static void Pretrain(Digits task, string weightsPath, Action? epochDone = null)
    {
        manual_seed(PretrainSeed);
        using var model = new LeNet5(numClasses: DigitTasks.ClassesPerTask);
        using var optimizer = optim.Adam(model.parameters(), lr: 2e-3);
        const int batchSize = 32;
        var count = task.Labels.shape[0];
        model.train();
        for (var epoch = 0; epoch < PretrainEpochs; epoch++)
        {
            using var order = randperm(count);
            for (long start = 0; start < count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var index = order.narrow(0, start, Math.Min(batchSize, count - start));
                Step(model, optimizer, task.Images.index_select(0, index), task.Labels.index_select(0, index));
            }
            epochDone?.Invoke();
        }
        model.SaveSafetensors(weightsPath);
    }

    /// <summary>
    /// The pretrained network ready to learn a new task: every weight from the file (an exact load), a freshly
    /// initialised head for <see cref="DigitTasks.ClassesPerTask"/> classes, and the layers before it frozen: all of
    /// them (<paramref name="frozenUpTo"/> null: only the head learns), or those up to and including a module.
    /// </summary>
    public static LeNet5 Transferred(string weightsPath, long seed, string? frozenUpTo = null)
    {
        var model = new LeNet5(numClasses: DigitTasks.ClassesPerTask);
        model.LoadWeights(weightsPath);
        // The new head's initial weights are the seed's, so a run repeats exactly.
        manual_seed(seed);
        model.ResetClassifier(DigitTasks.ClassesPerTask);
        model.Freeze(upTo: frozenUpTo);
        return model;
    }

    /// <summary>The same network from its random initialisation, every layer to be trained.</summary>
    public static LeNet5 FromScratch(long seed)
    {
        manual_seed(seed);
        return new LeNet5(numClasses: DigitTasks.ClassesPerTask);
    }

    /// <summary>
    /// Full-batch Adam steps on the few images, over the parameters that require grad: all of them from scratch,
    /// those after the frozen layers when transferred. The optimizer is made here, after the head was replaced.
    /// </summary>
    public static void FineTune(LeNet5 model, Digits few, Action? stepDone = null)
    {
        using var optimizer = optim.Adam(model.parameters().Where(p => p.requires_grad), lr: 1e-2);
        model.train();
        for (var step = 0; step < FineTuneSteps; step++)
        {
            using var scope = NewDisposeScope();
            Step(model, optimizer, few.Images, few.Labels);
            stepDone?.Invoke();
        }
    }

    /// <summary>The share of <paramref name="set"/> the network classifies right, in eval mode.</summary>
    public static double Accuracy(LeNet5 model, Digits set)
    {
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.forward(set.Images).argmax(1).eq(set.Labels).to(ScalarType.Float64).mean().item<double>();
    }

    private static void Step(LeNet5 model, optim.Optimizer optimizer, Tensor images, Tensor labels)
    {
        optimizer.zero_grad();
        nn.functional.cross_entropy(model.forward(images), labels).backward();
        optimizer.step();
    }
}
