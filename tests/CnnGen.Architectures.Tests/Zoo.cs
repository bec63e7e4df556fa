using CnnGen.Architectures;
using CnnGen.Runtime;

namespace CnnGen.Architectures.Tests;

/// <summary>The zoo's networks and the torchvision manifest each one must match (null where torchvision lacks it).</summary>
public static class Zoo
{
    public static readonly IReadOnlyDictionary<string, string?> TorchvisionKey = new Dictionary<string, string?>
    {
        ["AlexNet"] = "alexnet",
        ["AlexNetCaffe"] = null,
        ["ConvNeXtTiny"] = "convnext_tiny",
        ["EfficientNetB0"] = "efficientnet_b0",
        ["EfficientNetB1"] = "efficientnet_b1",
        ["EfficientNetV2S"] = "efficientnet_v2_s",
        ["MobileNetV3Large"] = "mobilenet_v3_large",
        ["RegNetY400MF"] = "regnet_y_400mf",
        ["ShuffleNetV2"] = "shufflenet_v2_x1_0",
        ["WideResNet50_2"] = "wide_resnet50_2",
        ["BNInception"] = null,
        ["DenseNet121"] = "densenet121",
        ["DenseNet169"] = "densenet169",
        ["DenseNet201"] = "densenet201",
        ["FcnResNet18"] = null,
        ["FcnResNet50"] = "fcn_resnet50",
        ["DeepLabV3ResNet50"] = "deeplabv3_resnet50",
        ["LRASPPMobileNetV3Large"] = "lraspp_mobilenet_v3_large",
        ["GoogLeNet"] = "googlenet",
        ["GoogLeNetAux"] = "googlenet_aux",
        ["GoogLeNetCaffe"] = null,
        ["InceptionResNetV1"] = null,
        ["InceptionResNetV2"] = null,
        ["InceptionV3"] = "inception_v3",
        ["InceptionV3Aux"] = "inception_v3_aux",
        ["InceptionV4"] = null,
        ["LeNet5"] = null,
        ["LeNet5Paper"] = null,
        ["MobileNetV1"] = null,
        ["MobileNetV1_025"] = null,
        ["MobileNetV1_050"] = null,
        ["MobileNetV1_075"] = null,
        ["MobileNetV2"] = "mobilenet_v2",
        ["NiN"] = null,
        ["ResNeXt101_32x8d"] = "resnext101_32x8d",
        ["ResNeXt50_32x4d"] = "resnext50_32x4d",
        ["ResNet101"] = "resnet101",
        ["ResNet152"] = "resnet152",
        ["ResNet18"] = "resnet18",
        ["ResNet34"] = "resnet34",
        ["ResNet50"] = "resnet50",
        ["ResNet50Fpn"] = "resnet50_fpn",
        ["UNet"] = null,
        ["UNetPadded"] = null,
        ["Vgg16"] = "vgg16",
        ["Vgg16Bn"] = "vgg16_bn",
        ["Vgg19"] = "vgg19",
        ["Vgg19Bn"] = "vgg19_bn",
        ["Xception"] = null,
        ["YOLOv8n"] = null,
    };

    /// <summary>Networks torchvision lacks, checked against manifests in their reference layout (tests/fixtures/timm).</summary>
    public static readonly IReadOnlyDictionary<string, string> TimmKey = new Dictionary<string, string>
    {
        ["InceptionResNetV1"] = "inception_resnet_v1",
        ["InceptionResNetV2"] = "inception_resnet_v2",
        ["InceptionV4"] = "inception_v4",
        ["Xception"] = "xception",
    };

    public static TheoryData<string> TimmNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in TimmKey.Keys.Order(StringComparer.Ordinal)) data.Add(name);
        return data;
    }

    /// <summary>Networks whose auxiliary heads torchvision registers elsewhere in the module order.</summary>
    public static readonly ISet<string> OrderDiffers = new HashSet<string> { "GoogLeNetAux" };

    public static NetworkInfo Get(string name) => NetworkCatalog.All.Single(network => network.Name == name);

    /// <summary>
    /// A new instance of <paramref name="info"/>'s class with the constructor parameter <paramref name="parameter"/>
    /// (<c>numClasses</c>, <c>inChannels</c>) set and the others at their defaults; throws when the class has no such parameter.
    /// </summary>
    public static TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> Create(NetworkInfo info, string parameter, int value)
    {
        var constructor = info.Type.GetConstructors().Single();
        Assert.Contains(constructor.GetParameters(), p => p.Name == parameter);
        var arguments = constructor.GetParameters().Select(p => p.Name == parameter ? value : Type.Missing).ToArray();
        return (TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>)constructor.Invoke(
            System.Reflection.BindingFlags.OptionalParamBinding, null, arguments, null);
    }

    /// <summary>
    /// The names under which the reference file keeps each output of a network that returns several
    /// (make_reference.py: "output.&lt;torchvision's key&gt;"), in the record's order.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> ReferenceOutputs = new Dictionary<string, string[]>
    {
        ["ResNet50Fpn"] = ["output.0", "output.1", "output.2", "output.3", "output.pool"],
    };

    /// <summary>Every output of one forward pass: the tensor a network returns, or each of its record's, in order.</summary>
    public static IReadOnlyList<TorchSharp.torch.Tensor> Outputs(TorchSharp.torch.nn.Module model, TorchSharp.torch.Tensor input) =>
        NamedOutputs(model, input).Select(output => output.Tensor).ToList();

    /// <summary><see cref="Outputs"/> with their names: "output" for a network that returns one tensor, else the record's.</summary>
    public static IReadOnlyList<(string Name, TorchSharp.torch.Tensor Tensor)> NamedOutputs(TorchSharp.torch.nn.Module model, TorchSharp.torch.Tensor input)
    {
        if (model is TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> single) return [("output", single.forward(input))];
        var forward = model.GetType().GetMethod("forward", [typeof(TorchSharp.torch.Tensor)])!;
        var record = (INetworkOutputs)forward.Invoke(model, [input])!;
        return record.Names.Zip(record.ToList()).ToList();
    }

    /// <summary>Each output's shape for one sample, in the order <see cref="Outputs"/> gives them.</summary>
    public static IReadOnlyList<long[]> OutputShapes(NetworkInfo info) =>
        info.Outputs.Count == 0
            ? [info.OutputShape]
            : ((IReadOnlyList<KeyValuePair<string, long[]>>)info.Type.GetProperty("OutputShapes")!.GetValue(null)!).Select(pair => pair.Value).ToList();

    /// <summary>The names the reference file keeps the outputs under, in the order <see cref="Outputs"/> gives them.</summary>
    public static IReadOnlyList<string> ReferenceOutputNames(string name) => ReferenceOutputs.TryGetValue(name, out var names) ? names : ["output"];

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var network in NetworkCatalog.All) data.Add(network.Name);
        return data;
    }

    public static TheoryData<string> TorchvisionOrderedNames()
    {
        var data = new TheoryData<string>();
        foreach (var (name, key) in TorchvisionKey.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            if (key is not null && !OrderDiffers.Contains(name)) data.Add(name);
        return data;
    }

    public static TheoryData<string> TorchvisionNames()
    {
        var data = new TheoryData<string>();
        foreach (var (name, key) in TorchvisionKey.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            if (key is not null) data.Add(name);
        return data;
    }
}
