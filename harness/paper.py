"""The paper's reference numbers that our runs are set beside."""

#: Sainburg, McInnes & Gentner (2021), MNIST 2-D, 60,000 training / 10,000 test rows
#: (Table 1 and Fig. 5).
PAPER_MNIST_2D = {
    "parametric umap": {"trustworthiness": 0.9573, "silhouette": 0.5559, "knn_accuracy_1": 0.9402,
                        "knn_accuracy_5": 0.9614, "kmeans_nmi": 0.7824},
    "parametric umap + ae": {"trustworthiness": 0.9675, "silhouette": 0.4637,
                             "knn_accuracy_1": 0.9403, "knn_accuracy_5": 0.9537,
                             "kmeans_nmi": 0.8460},
}
