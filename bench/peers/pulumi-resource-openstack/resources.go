// The bridged OpenStack provider this project benchmarks against: terraform-provider-openstack
// (the Terraform SDKv2 provider) behind pulumi-terraform-bridge, named and versioned like the
// provider that @pulumi/openstack 3.15.2 asks for, so that SDK's ImageAccess and ImageAccessAccept
// reach it. bench/build-peers.sh builds it; this directory is copied into a throwaway module there.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/terraform-provider-openstack/terraform-provider-openstack/v3/openstack"
)

// The version @pulumi/openstack 3.15.2 requests for its plugin; the engine takes a plugin found on
// PATH whatever version is asked, and this is what `pulumi-resource-openstack -version` prints.
const providerVersion = "3.15.2"

// Environment variables each provider setting falls back to, as the OpenStack CLI tools name them.
// Keys are the Terraform names; the bridge presents them in camelCase (auth_url -> authUrl), the
// names @pulumi/openstack's config/vars.js reads as openstack:authUrl and so on.
var configEnv = map[string][]string{
	"auth_url":                      {"OS_AUTH_URL"},
	"region":                        {"OS_REGION_NAME"},
	"user_name":                     {"OS_USERNAME"},
	"user_id":                       {"OS_USER_ID"},
	"tenant_id":                     {"OS_TENANT_ID", "OS_PROJECT_ID"},
	"tenant_name":                   {"OS_TENANT_NAME", "OS_PROJECT_NAME"},
	"password":                      {"OS_PASSWORD"},
	"token":                         {"OS_TOKEN", "OS_AUTH_TOKEN"},
	"user_domain_name":              {"OS_USER_DOMAIN_NAME"},
	"user_domain_id":                {"OS_USER_DOMAIN_ID"},
	"project_domain_name":           {"OS_PROJECT_DOMAIN_NAME"},
	"project_domain_id":             {"OS_PROJECT_DOMAIN_ID"},
	"domain_id":                     {"OS_DOMAIN_ID"},
	"domain_name":                   {"OS_DOMAIN_NAME"},
	"default_domain":                {"OS_DEFAULT_DOMAIN"},
	"insecure":                      {"OS_INSECURE"},
	"endpoint_type":                 {"OS_ENDPOINT_TYPE"},
	"cacert_file":                   {"OS_CACERT"},
	"cert":                          {"OS_CERT"},
	"key":                           {"OS_KEY"},
	"swauth":                        {"OS_SWAUTH"},
	"cloud":                         {"OS_CLOUD"},
	"application_credential_id":     {"OS_APPLICATION_CREDENTIAL_ID"},
	"application_credential_name":   {"OS_APPLICATION_CREDENTIAL_NAME"},
	"application_credential_secret": {"OS_APPLICATION_CREDENTIAL_SECRET"},
	"delayed_auth":                  {"OS_DELAYED_AUTH"},
	"allow_reauth":                  {"OS_ALLOW_REAUTH"},
}

// Terraform name prefixes (after "openstack_") and the Pulumi module each lands in.
var modules = map[string]string{
	"bgpvpn_":           "bgpvpn",
	"blockstorage_":     "blockstorage",
	"compute_":          "compute",
	"containerinfra_":   "containerinfra",
	"db_":               "database",
	"dns_":              "dns",
	"fw_":               "firewall",
	"identity_":         "identity",
	"images_":           "images",
	"keymanager_":       "keymanager",
	"lb_":               "loadbalancer",
	"networking_":       "networking",
	"objectstorage_":    "objectstorage",
	"orchestration_":    "orchestration",
	"sharedfilesystem_": "sharedfilesystem",
	"taas_":             "taas",
	"vpnaas_":           "vpnaas",
	"workflow_":         "workflow",
}

func providerInfo() tfbridge.ProviderInfo {
	config := map[string]*tfbridge.SchemaInfo{}
	for name, vars := range configEnv {
		config[name] = &tfbridge.SchemaInfo{Default: &tfbridge.DefaultInfo{EnvVars: vars}}
	}
	prov := tfbridge.ProviderInfo{
		P:            shimv2.NewProvider(openstack.Provider()),
		Name:         "openstack",
		Version:      providerVersion,
		Description:  "OpenStack resources through terraform-provider-openstack, bridged (benchmark peer).",
		Keywords:     []string{"pulumi", "openstack"},
		License:      "Apache-2.0",
		GitHubOrg:    "terraform-provider-openstack",
		Config:       config,
		MetadataInfo: tfbridge.NewProviderMetadata(nil),
		// the data source openstack_loadbalancer_flavor_v2 repeats openstack_lb_flavor_v2 and
		// would take the same token
		IgnoreMappings: []string{"openstack_loadbalancer_flavor_v2"},
		Resources: map[string]*tfbridge.ResourceInfo{
			// the tokens of @pulumi/openstack 3.15.2 (images/imageAccess.js, images/imageAccessAccept.js)
			"openstack_images_image_access_v2":        {Tok: "openstack:images/imageAccess:ImageAccess"},
			"openstack_images_image_access_accept_v2": {Tok: "openstack:images/imageAccessAccept:ImageAccessAccept"},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			// images.getImageIds and images.getImage of @pulumi/openstack 3.15.2 (images/getImageIds.js, images/getImage.js)
			"openstack_images_image_ids_v2": {Tok: "openstack:images/getImageIds:getImageIds"},
			"openstack_images_image_v2":     {Tok: "openstack:images/getImage:getImage"},
		},
	}
	// everything else gets the bridge's standard tokens (openstack:compute/instanceV2:InstanceV2),
	// which are not always the names @pulumi/openstack gives them
	prov.MustComputeTokens(tokens.MappedModules("openstack_", "", modules, tokens.MakeStandard("openstack")))
	return prov
}
