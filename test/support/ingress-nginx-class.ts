/**
 * The IngressClass of an ingress-nginx install, marked default as minikube's addon marks it (and the Helm
 * chart with controller.ingressClassResource.default): ingress-nginx's own docs and many deploy manifests
 * name no class and rely on that. Used wherever the corpus is taken as an ingress-nginx cluster.
 */
export const NGINX_INGRESS_CLASS = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: { ingressclass.kubernetes.io/is-default-class: "true" }
spec: { controller: k8s.io/ingress-nginx }
`;
